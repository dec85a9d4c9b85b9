-- 0001_init: findings, their delivery outbox, and file checkpoints.
--
-- Times are INTEGER Unix nanoseconds (UTC), clamped to the int64 range, so
-- they sort and compare exactly.

-- findings holds one row per finding id, numbered by seq in the order they
-- were stored. body is the finding.Finding as JSON text, without its raw
-- CloudTrail record, which is in event as it was given (NULL for none). The
-- other columns are copies of the finding's fields, kept for queries.
CREATE TABLE findings (
	seq         INTEGER NOT NULL PRIMARY KEY,
	id          TEXT    NOT NULL UNIQUE,
	rule_id     TEXT    NOT NULL,
	severity    INTEGER NOT NULL,
	event_id    TEXT    NOT NULL,
	event_time  INTEGER NOT NULL,
	account     TEXT    NOT NULL,
	region      TEXT    NOT NULL,
	detected_at INTEGER NOT NULL,
	body        TEXT    NOT NULL,
	event       TEXT
) STRICT;

-- Every query is newest first, optionally narrowed by one of these.
CREATE INDEX findings_by_time ON findings (event_time);
CREATE INDEX findings_by_rule ON findings (rule_id, event_time);
CREATE INDEX findings_by_account ON findings (account, event_time);
CREATE INDEX findings_by_severity ON findings (severity, event_time);

-- outbox lists the findings not yet accepted by every output, by their seq,
-- so in the order they were stored. A row is written in the same transaction
-- as its finding and removed by MarkDelivered.
CREATE TABLE outbox (
	seq       INTEGER NOT NULL PRIMARY KEY REFERENCES findings (seq) ON DELETE CASCADE,
	queued_at INTEGER NOT NULL
) STRICT;

-- checkpoints records the files already processed, and under which rules.
CREATE TABLE checkpoints (
	origin       TEXT    NOT NULL PRIMARY KEY,
	size         INTEGER NOT NULL,
	mod_time     INTEGER NOT NULL,
	ruleset      TEXT    NOT NULL,
	events       INTEGER NOT NULL,
	processed_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
