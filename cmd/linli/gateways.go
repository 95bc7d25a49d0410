package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/linli-community/linli/bot"
	"github.com/linli-community/linli/bot/notify"
	"github.com/linli-community/linli/config"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/node"
	"github.com/linli-community/linli/store"
	"github.com/linli-community/linli/templates"
)

// startGateways starts what linli.toml enables beside node n: the WeChat
// official account, the group channels, and the one notifier that tells
// them all what is news. They share gateway.db. stop stops the notifier
// first (nothing is handed to a closed channel), then the channels, then
// closes gateway.db, and returns the first error.
func startGateways(ctx context.Context, env *Env, hm home, n *node.Node, conf config.Config) (stop func() error, err error) {
	if !conf.Wechat.Enabled && !groupsEnabled(conf) {
		return func() error { return nil }, nil
	}
	logger := gatewayLogger(env, conf)
	gw, err := store.OpenGateway(hm.gatewayDB())
	if err != nil {
		return nil, err
	}
	if gw.Recovered != "" {
		logger.Error("gateway: " + gw.Recovered)
	}
	closers := []func() error{gw.Close}
	closeAll := func() error {
		var errs []error
		for i := len(closers) - 1; i >= 0; i-- {
			errs = append(errs, closers[i]())
		}
		return errors.Join(errs...)
	}
	stopWechat, notices, err := startWechat(ctx, env, hm, n, conf, gw)
	if err != nil {
		return nil, errors.Join(err, closeAll())
	}
	closers = append(closers, stopWechat)

	tdir := ""
	if conf.Chat.Templates != "" {
		tdir = hm.inHome(conf.Chat.Templates)
	}
	tset, err := templates.Load(tdir)
	if err != nil {
		return nil, errors.Join(err, closeAll())
	}
	nt := notify.New(ledger.New(n.Local()), gw.Wechat(), tset)
	nt.Interval, nt.Logger = conf.Wechat.NotifyInterval, logger
	if notices != nil {
		nt.Users, nt.Private = gw.Wechat(), notices
	}
	// The admins hear of a group channel's trouble only on the official
	// account.
	var alerter bot.AdminAlerter
	if nt.Private != nil {
		alerter = nt
	}
	groups, stopGroups, err := startGroups(ctx, env, hm, n, conf, gw, tset, alerter, logger)
	if err != nil {
		return nil, errors.Join(err, closeAll())
	}
	closers = append(closers, stopGroups)
	nt.Groups = groups
	if nt.Private == nil && len(nt.Groups) == 0 {
		return closeAll, nil
	}
	if err := nt.Open(); err != nil {
		return nil, errors.Join(err, closeAll())
	}
	closers = append(closers, nt.Close)
	return closeAll, nil
}

// gatewayLogger logs the gateways' failures, and more unless linli.toml
// asks for errors only.
func gatewayLogger(env *Env, conf config.Config) *slog.Logger {
	level := slog.LevelError
	if conf.LogLevel != config.LogError {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
}

// groupsEnabled reports whether linli.toml turns on a group channel.
func groupsEnabled(conf config.Config) bool { return conf.Wecom.Enabled || conf.WxGroup.Enabled }

// startGroups starts the group channels linli.toml enables, each told to
// alert the admins through alerter. stop closes them, returning the
// first error.
func startGroups(ctx context.Context, env *Env, hm home, n *node.Node, conf config.Config, gw *store.Gateway, tset *templates.Set, alerter bot.AdminAlerter, logger *slog.Logger) (groups []bot.GroupAnnouncer, stop func() error, err error) {
	var closers []func() error
	stop = func() error {
		var errs []error
		for i := len(closers) - 1; i >= 0; i-- {
			errs = append(errs, closers[i]())
		}
		return errors.Join(errs...)
	}
	if conf.Wecom.Enabled {
		a, err := startWecom(env, hm, conf, gw, tset, alerter, logger)
		if err != nil {
			return nil, nil, errors.Join(err, stop())
		}
		groups, closers = append(groups, a), append(closers, a.Close)
	}
	wx, stopWx, err := startWxGroup(ctx, env, hm, n, conf, gw, tset, alerter, logger)
	if err != nil {
		return nil, nil, errors.Join(err, stop())
	}
	closers = append(closers, stopWx)
	if wx != nil {
		groups = append(groups, wx)
	}
	return groups, stop, nil
}
