// Package bot is linli's conversation engine: the part residents talk to.
// It is channel-neutral and shaped like net/http: an adapter turns a
// channel's message into a Request, Engine.Handle answers it with a Reply,
// and the adapter sends that back. Parse reads a message purely; a Mux
// routes command words to Handlers; per-user Sessions remember the numbered
// screen a user is on, so that an elderly resident can do everything by
// replying with digits.
//
// Every write asks for a numbered confirmation and answers with a receipt
// (block height and short tx hash). Every word a resident reads comes from
// templates (bot_*.tmpl), rendered with data the engine prepares; user text
// is only ever data, never a template.
//
// Package bot depends on abci (query answers, result codes), abci/tx (the
// tx bodies it builds), ledger (its Receipt and User types) and templates.
// It declares the Ledger and Sessions interfaces it needs; it must never
// import store/ or a channel adapter (bot/console, bot/wechatmp, …), and
// cmd/linli wires the concrete implementations in.
package bot
