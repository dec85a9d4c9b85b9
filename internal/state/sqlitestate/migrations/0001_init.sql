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
	-- one B-tree serves both idempotence and the lookups by resource; keyed
	-- by resource first, a batch's inserts touch few pages
	UNIQUE (resource_key, event_id)
) STRICT;

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
	deleted      INTEGER NOT NULL
) STRICT;
-- the revision in force at a time, and the last one, are one seek away;
-- number is unique per resource as the store writes it
CREATE UNIQUE INDEX revisions_by_time ON revisions (resource_key, event_time, number);

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
