-- 0001_init: steps, the revisions folded from them, and the current resources.
--
-- Times are INTEGER Unix nanoseconds (UTC). resource_key is
-- state.ResourceID.Key(): account/region/type/id.

-- steps is the source of truth: one row per event and resource it names.
-- provenance, changes and targets are the state.Step's fields as JSON.
CREATE TABLE steps (
	event_id     TEXT    NOT NULL,
	resource_key TEXT    NOT NULL,
	event_time   INTEGER NOT NULL,
	provenance   TEXT    NOT NULL,
	changes      TEXT    NOT NULL,
	targets      TEXT    NOT NULL,
	UNIQUE (event_id, resource_key)
) STRICT;
CREATE INDEX steps_by_resource ON steps (resource_key);

-- revisions is Fold's output for each resource, rewritten whenever a step
-- for it arrives. state and diff are JSON; state is 'null' for a tombstone.
CREATE TABLE revisions (
	resource_key TEXT    NOT NULL,
	number       INTEGER NOT NULL,
	event_time   INTEGER NOT NULL,
	event_id     TEXT    NOT NULL,
	provenance   TEXT    NOT NULL,
	state        TEXT    NOT NULL,
	diff         TEXT    NOT NULL,
	deleted      INTEGER NOT NULL,
	PRIMARY KEY (resource_key, number)
) STRICT;
CREATE INDEX revisions_by_time ON revisions (resource_key, event_time, number);

-- resources holds one row per resource with at least one revision.
CREATE TABLE resources (
	resource_key TEXT    NOT NULL PRIMARY KEY,
	account      TEXT    NOT NULL,
	region       TEXT    NOT NULL,
	type         TEXT    NOT NULL,
	id           TEXT    NOT NULL,
	arn          TEXT    NOT NULL,
	revision     INTEGER NOT NULL,
	updated      INTEGER NOT NULL,
	deleted      INTEGER NOT NULL
) STRICT;
CREATE INDEX resources_by_type ON resources (type, account, region);
CREATE INDEX resources_by_account ON resources (account, region);
