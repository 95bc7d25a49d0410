-- The WeCom customer-group channel's local data (bot/wecom). Nothing here
-- is personal: the texts are the public notices the groups get.
--
-- wecom_notices: each notice queued for a group (chat_id), once per notice
-- key. msg_id is empty while it waits for the group's budget, then the id
-- of the group message (add_msg_template) that carried it, merged with
-- the others that waited. Times are unix milliseconds.
CREATE TABLE wecom_notices (
	chat_id    TEXT    NOT NULL,
	notice_key TEXT    NOT NULL,
	kind       TEXT    NOT NULL,
	text       TEXT    NOT NULL,
	height     INTEGER NOT NULL,
	queued_at  INTEGER NOT NULL,
	msg_id     TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (chat_id, notice_key)
) WITHOUT ROWID;
CREATE INDEX wecom_notices_waiting ON wecom_notices (chat_id, msg_id, height);

-- wecom_sends: each group message created for a group, which counts
-- against the group's daily and monthly budget from its creation, and
-- what WeCom said of it (get_groupmsg_send_result): status -1 not yet
-- asked, 0 the owner has not sent it yet, 1 sent, 2 and 3 failed;
-- reported is 1 once the admins were told of a problem with it.
CREATE TABLE wecom_sends (
	msg_id     TEXT    NOT NULL,
	chat_id    TEXT    NOT NULL,
	sender     TEXT    NOT NULL,
	sent_at    INTEGER NOT NULL,
	status     INTEGER NOT NULL DEFAULT -1,
	checked_at INTEGER NOT NULL DEFAULT 0,
	reported   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (msg_id, chat_id)
) WITHOUT ROWID;
CREATE INDEX wecom_sends_chat ON wecom_sends (chat_id, sent_at);
