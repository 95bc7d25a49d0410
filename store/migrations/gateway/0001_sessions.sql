-- Chat sessions of the gateway: per channel and channel-scoped user, the
-- conversation state the bot engine keeps between messages (which numbered
-- screen the user is on, what its digits meant, recent receipts), as JSON
-- the engine owns. updated_at is unix milliseconds of the last message.
CREATE TABLE sessions (
	channel    TEXT    NOT NULL,
	user_id    TEXT    NOT NULL,
	state      BLOB    NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (channel, user_id)
) WITHOUT ROWID;
