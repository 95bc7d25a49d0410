// Package config defines linli.toml, the settings of linli itself: its
// schema, defaults, validation and the commented default file that
// `linli init` writes. CometBFT's own settings stay in CometBFT's
// config/config.toml; linli.toml holds only what linli adds.
//
// The default file, default.toml, is embedded and is the documentation of
// every key: a test checks that it decodes to exactly Default(), so the two
// cannot drift. To add a setting, add a field (with a toml tag) to Config or
// to one of its sections, its default to Default, its check to Validate and
// the key with a comment to default.toml. A new section is a new struct type
// and a new [table] in default.toml.
//
// Only cmd/linli imports config; config imports no other linli package.
package config
