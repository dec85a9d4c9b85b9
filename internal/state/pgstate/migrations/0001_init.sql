-- 0001_init: steps, the revisions folded from them, and the current resources.
--
-- Times are BIGINT Unix nanoseconds (UTC). resource_key is
-- state.ResourceID.Key(): account/region/type/id, compared bytewise
-- (COLLATE "C") so that List sorts as Go does whatever the database's locale.

-- steps is the source of truth: one row per event and resource it names.
-- changes and targets are kept as json, verbatim, so that a step reads back
-- exactly as it was written (numbers included); provenance is jsonb.
CREATE TABLE steps (
	event_id     text COLLATE "C" NOT NULL,
	resource_key text COLLATE "C" NOT NULL,
	event_time   bigint NOT NULL,
	provenance   jsonb  NOT NULL,
	changes      json   NOT NULL,
	targets      json   NOT NULL,
	PRIMARY KEY (resource_key, event_id)
);
-- Apply reads the latest step time of each resource it touches.
CREATE INDEX steps_by_time ON steps (resource_key, event_time);

-- revisions is Fold's output for each resource, rewritten whenever a step
-- for it arrives. state is 'null' for a tombstone.
CREATE TABLE revisions (
	resource_key text COLLATE "C" NOT NULL,
	number       integer NOT NULL,
	event_time   bigint  NOT NULL,
	event_id     text    NOT NULL,
	provenance   jsonb   NOT NULL,
	state        jsonb   NOT NULL,
	diff         jsonb   NOT NULL,
	deleted      boolean NOT NULL,
	PRIMARY KEY (resource_key, number)
);
CREATE INDEX revisions_by_time ON revisions (resource_key, event_time, number);

-- resources holds one row per resource with at least one revision;
-- revision is the number of its last one.
CREATE TABLE resources (
	resource_key text COLLATE "C" NOT NULL PRIMARY KEY,
	account      text    NOT NULL,
	region       text    NOT NULL,
	type         text    NOT NULL,
	id           text    NOT NULL,
	arn          text    NOT NULL,
	revision     integer NOT NULL,
	updated      bigint  NOT NULL,
	deleted      boolean NOT NULL
);
CREATE INDEX resources_by_type ON resources (type, account, region);
CREATE INDEX resources_by_account ON resources (account, region);
