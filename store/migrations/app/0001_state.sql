-- The replicated key-value state. Keys are readable paths such as
-- 'unit/3-502'; values are canonical JSON. BINARY collation orders keys
-- bytewise, the same order Go's string comparison and the app hash use.
CREATE TABLE state (
	key   TEXT NOT NULL PRIMARY KEY COLLATE BINARY,
	value BLOB NOT NULL
) WITHOUT ROWID;

-- The last committed block: one row, written in the same transaction as
-- that block's state changes.
CREATE TABLE last_block (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	height   INTEGER NOT NULL,
	app_hash BLOB NOT NULL
);
