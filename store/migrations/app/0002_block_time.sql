-- The last committed block's time (unix seconds, from its header). It is
-- not state: the app hash does not cover it, so a block that changes no
-- state changes nothing that is hashed, and an idle chain can stop making
-- blocks. CheckTx and queries read it.
ALTER TABLE last_block ADD COLUMN block_time INTEGER NOT NULL DEFAULT 0;
