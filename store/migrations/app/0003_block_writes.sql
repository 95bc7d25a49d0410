-- Each committed block's write set (abci.EncodeWrites), written in the same
-- transaction as the block's state changes. Verify recomputes a block's app
-- hash from it to prove a record without trusting the node that serves it.
-- A block that wrote nothing has no row.
CREATE TABLE block_writes (
	height INTEGER PRIMARY KEY,
	writes BLOB NOT NULL
);
