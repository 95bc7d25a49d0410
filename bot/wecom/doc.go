// Package wecom posts the community's public notices to WeCom customer
// groups (企业微信客户群): the official, dependable way into ordinary
// WeChat groups, whose members stay on ordinary WeChat while a committee
// member's WeCom account owns the group. It implements bot.GroupAnnouncer
// for the channel-neutral notifier (bot/notify), which decides what is
// news; this package only delivers it within WeCom's rules: a group
// message (add_msg_template, chat_type group) that the group's owner
// confirms with one tap, about one a day per group, so only important
// notices, merged while they wait. It cannot answer messages.
//
// API wraps the parts of silenceper/wechat/v2's work/externalcontact that
// linli uses; it is the only package that imports silenceper's work/
// packages, and no SDK type leaves it.
//
// Package wecom imports bot and templates; it must not import store or
// config: cmd/linli wires those in.
package wecom
