-- What WeChat allows the gateway to push to each user now (bot/wechatmp
-- decides the rule): push_left customer-service messages until push_until
-- (unix milliseconds). Users from before this migration start with none:
-- the gateway does not know what kind of message they last sent.
ALTER TABLE wechat_users ADD COLUMN push_left INTEGER NOT NULL DEFAULT 0;
ALTER TABLE wechat_users ADD COLUMN push_until INTEGER NOT NULL DEFAULT 0;

-- wechat_signatures: each (timestamp, nonce, signature) of a POST that
-- was accepted, with a hash of its body, so that a signed URL is accepted
-- once (WeChat's retries of one message carry new ones; a byte-identical
-- replay is answered from wechat_messages). Pruned past the window.
CREATE TABLE wechat_signatures (
	sig_key    TEXT    NOT NULL PRIMARY KEY,
	body_hash  TEXT    NOT NULL,
	created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX wechat_signatures_created ON wechat_signatures (created_at);

-- wechat_undelivered: notices no means could deliver (no customer-service
-- quota, no template or subscription message, or WeChat refused them all),
-- for `linli wechat undelivered`. text never holds a secret (a binding
-- code is replaced before it is written).
CREATE TABLE wechat_undelivered (
	id         INTEGER PRIMARY KEY,
	openid     TEXT    NOT NULL,
	kind       TEXT    NOT NULL,
	text       TEXT    NOT NULL,
	reason     TEXT    NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX wechat_undelivered_created ON wechat_undelivered (created_at);
