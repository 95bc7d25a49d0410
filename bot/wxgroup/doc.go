// Package wxgroup puts linli into the community's ordinary WeChat groups
// through a personal WeChat account, with eatmoreapple/openwechat (the
// web/desktop protocol). It is off by default: Tencent's rules forbid
// automating a personal account, such accounts were warned and banned in
// numbers in January 2025, and their sessions drop about daily. A
// community that turns it on gives it a dedicated, long-lived account
// held by the committee.
//
// The Adapter logs in with the hot-login storage that Login (`linli
// wxgroup login`) saved in gateway.db, hands the messages of the bound
// groups to the chat engine as bot.Requests (channel "wxgroup", an opaque
// sender id, never a nickname), and posts the engine's answers and the
// notifier's public notices (it is a bot.GroupAnnouncer), paced per group,
// capped per group and day and overall, through a bounded queue. When
// WeChat logs the account out or refuses it, the adapter stops, logs why
// and tells the admins through a bot.AdminAlerter; it never logs in again
// by itself.
//
// Package wxgroup is the only package that imports openwechat, and no
// openwechat type leaves it. It imports bot and templates, never store or
// another adapter; cmd/linli wires it.
package wxgroup
