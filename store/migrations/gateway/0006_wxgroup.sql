-- wxgroup: the local data of the group adapter that runs a personal
-- WeChat account (bot/wxgroup). Times are unix milliseconds.
--
-- wxgroup_login is openwechat's hot-login storage: the session cookies and
-- keys of the committee's account, one row. It is as good as a logged-in
-- phone for a day or so: never logged, and gateway.db is mode 0600.
CREATE TABLE wxgroup_login (
	id         INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	data       BLOB    NOT NULL,
	updated_at INTEGER NOT NULL
);

-- wxgroup_codes are the one-time codes that bind a group, by the SHA-256
-- of the code only; building is the building the group is tied to, or ''.
CREATE TABLE wxgroup_codes (
	hash       TEXT    NOT NULL PRIMARY KEY,
	building   TEXT    NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;

-- wxgroup_groups are the groups bound to the community, by their name (a
-- web-protocol session renames every group's id at each login; the name
-- is what stays).
CREATE TABLE wxgroup_groups (
	name     TEXT    NOT NULL PRIMARY KEY,
	building TEXT    NOT NULL,
	bound_at INTEGER NOT NULL
) WITHOUT ROWID;

-- wxgroup_sent is every message the account sent to a group: the daily
-- caps count it across restarts, and a notice's key is sent to a group
-- once. notice_key is '' for an answer to a question.
CREATE TABLE wxgroup_sent (
	group_name TEXT    NOT NULL,
	notice_key TEXT    NOT NULL,
	sent_at    INTEGER NOT NULL
);
CREATE INDEX wxgroup_sent_at ON wxgroup_sent (sent_at);
CREATE UNIQUE INDEX wxgroup_sent_key ON wxgroup_sent (group_name, notice_key) WHERE notice_key != '';
