-- 0002_coverage: delivery coverage per account × region, and the silences
-- already reported.
--
-- Times are INTEGER Unix nanoseconds (UTC), as in 0001. An event time is
-- NULL for a log file that held no events.

-- coverage_files holds one row per CloudTrail log file read from the AWS key
-- layout (origin is its checkpoint key): the cell it was delivered to and
-- the span of its events' times, so a cell's silences can be recomputed
-- with any threshold.
CREATE TABLE coverage_files (
	origin       TEXT    NOT NULL PRIMARY KEY,
	account      TEXT    NOT NULL,
	region       TEXT    NOT NULL,
	oldest       INTEGER,
	newest       INTEGER,
	events       INTEGER NOT NULL CHECK (events >= 0),
	processed_at INTEGER NOT NULL,
	CHECK ((oldest IS NULL) = (newest IS NULL) AND (oldest IS NULL OR oldest <= newest))
) STRICT, WITHOUT ROWID;

-- A cell's spans, oldest first, read from the index alone.
CREATE INDEX coverage_files_by_cell ON coverage_files (account, region, oldest, newest);

-- coverage_cells sums coverage_files up per account × region, in the same
-- transaction as each file: first and last event seen, files, events, and
-- when the most recent file was processed.
CREATE TABLE coverage_cells (
	account      TEXT    NOT NULL,
	region       TEXT    NOT NULL,
	first_event  INTEGER,
	last_event   INTEGER,
	files        INTEGER NOT NULL,
	events       INTEGER NOT NULL,
	last_file_at INTEGER NOT NULL,
	PRIMARY KEY (account, region)
) STRICT, WITHOUT ROWID;

-- coverage_silences lists the silent spans of each cell reported as a
-- finding (finding_id), so that a later run does not report one again.
-- open is 1 when no event had followed the silence when it was reported
-- (silent_until was then the account's newest event).
CREATE TABLE coverage_silences (
	account      TEXT    NOT NULL,
	region       TEXT    NOT NULL,
	silent_from  INTEGER NOT NULL,
	silent_until INTEGER NOT NULL CHECK (silent_until >= silent_from),
	open         INTEGER NOT NULL CHECK (open IN (0, 1)),
	finding_id   TEXT    NOT NULL,
	reported_at  INTEGER NOT NULL,
	PRIMARY KEY (account, region, silent_from)
) STRICT, WITHOUT ROWID;
