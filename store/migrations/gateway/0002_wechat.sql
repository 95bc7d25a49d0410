-- The WeChat official account gateway's local data (bot/wechatmp). None of
-- it is replicated; the openid -> address mapping lives only here.
--
-- wechat_messages: each message or event WeChat delivered, by its dedup key
-- (the MsgId, or "event:" FromUserName ":" CreateTime for events), so that
-- WeChat's retries are handled once, also across a restart. answered is 0
-- while the first delivery is being handled, then 1 with the passive reply
-- that was written. created_at is unix milliseconds; old rows are pruned.
CREATE TABLE wechat_messages (
	msg_key    TEXT    NOT NULL PRIMARY KEY,
	answered   INTEGER NOT NULL DEFAULT 0,
	reply      TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX wechat_messages_created ON wechat_messages (created_at);

-- wechat_users: every openid the gateway has seen, the chain address of its
-- custodial key, whether it still follows the account, and when it last
-- wrote (which opens WeChat's 48-hour customer-service window). Times are
-- unix milliseconds.
CREATE TABLE wechat_users (
	openid     TEXT    NOT NULL PRIMARY KEY,
	address    TEXT    NOT NULL,
	subscribed INTEGER NOT NULL DEFAULT 1,
	first_seen INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX wechat_users_address ON wechat_users (address);

-- wechat_state: what the notifier has already told users (per proposal,
-- booking, repair), as small text values it owns.
CREATE TABLE wechat_state (
	key        TEXT    NOT NULL PRIMARY KEY,
	value      TEXT    NOT NULL,
	updated_at INTEGER NOT NULL
) WITHOUT ROWID;
