// Package wechatmp adapts a WeChat official account (公众号, a verified
// 服务号) to the chat engine: residents message the account, WeChat posts
// each message to the Webhook, which hands it to the engine and writes the
// engine's reply back within WeChat's five seconds.
//
// Webhook speaks WeChat's callback protocol exactly: the GET verification,
// POSTed XML in plaintext, compatible and safe (AES) mode, SHA-1 signatures
// over the sorted token, timestamp and nonce (and the ciphertext), and a
// timestamp window that WeChat's SDK does not enforce. It answers within a
// budget: whatever the engine could not say in time (a receipt still being
// committed, the rest of a long reply) is pushed afterwards as a
// customer-service message through an Outbox. Each message is handled once,
// however often WeChat retries it, also across a restart (the dedup state
// is in gateway.db, behind the Store interface), and each signed URL is
// accepted once. A message waiting for its commit frees its processing
// slot (bot.WithPause), so reads never queue behind votes.
//
// The Outbox lives within WeChat's limits (quota.go: 5 customer-service
// messages within 48 hours of a message the user sent, 3 within a minute
// of a click or follow): it counts per user, falls back to a template or
// subscription message when none is left or WeChat refuses, and records
// what nothing could deliver.
//
// API wraps the parts of github.com/silenceper/wechat/v2 that linli uses:
// the stable access token (in a thread-safe cache of our own), customer-
// service and template messages, the custom menu. What to tell whom is
// decided by the channel-neutral notifier (bot/notify); Notices delivers
// its private notices here, through the Outbox.
//
// SDK types never leave this package, and its root package is never
// imported (it turns logging up to debug and logs every raw message).
// Openids are channel-scoped user ids: they never reach the chain and are
// logged only as a short hash.
//
// Package wechatmp imports bot, ledger (its query result type), abci (the
// shapes of query answers) and templates; it must not import store or
// config: cmd/linli wires those in.
package wechatmp
