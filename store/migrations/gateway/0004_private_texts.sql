-- private_texts: texts the chain must not hold (a neighbour dispute's
-- opening text, statements and outcome), by the commitment the chain
-- records instead (tx.TextCommitment: SHA-256 over a tag, the nonce and
-- the text). The gateway shows a text only to the dispute's parties and
-- its mediator. nonce is hex; created_at is unix milliseconds.
CREATE TABLE private_texts (
	commitment TEXT    NOT NULL PRIMARY KEY,
	nonce      TEXT    NOT NULL,
	text       TEXT    NOT NULL,
	created_at INTEGER NOT NULL
) WITHOUT ROWID;
