package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/ledger"
)

// confirm shows a write for confirmation: nothing reaches the chain until
// the user answers 1.
func (t *Turn) confirm(a *Action) error {
	return t.Open(Frame{Screen: "confirm", Choices: []string{"yes", "no"}, Action: a})
}

type confirmData struct {
	Summary   string
	Multiline bool
}

func showConfirm(t *Turn, f *Frame) error {
	t.say("bot.confirm", confirmData{Summary: f.Action.Summary, Multiline: strings.Contains(f.Action.Summary, "\n")})
	return nil
}

func confirmInput(t *Turn, f *Frame) error {
	in := t.In
	yes := in.Kind == KindNumber && len(in.Nums) == 1 && in.Nums[0] == 1 || in.Kind == KindCommand && in.Cmd == "确认"
	no := in.Kind == KindNumber && len(in.Nums) == 1 && (in.Nums[0] == 2 || in.Nums[0] == 0) || in.Kind == KindCommand && in.Cmd == "取消"
	switch {
	case yes:
		return t.execute(f)
	case no:
		t.sess.pop()
		return t.showTop()
	}
	return t.hint(f)
}

// actionKinds says, for each kind of confirmed write, who may do it
// (nil: anyone; the chain checks membership itself) and how its body is
// built.
type actionKind struct {
	roles []string
	build func(t *Turn, a *Action) (tx.Body, *actionExtra, error)
	// local, when set, is a confirmed action that writes nothing to the
	// chain (a group's binding code, kept in gateway.db): it runs instead
	// of build and the submit, and answers for itself.
	local func(t *Turn, a *Action) error
}

// actionExtra is what a receipt shows besides height and hash.
type actionExtra struct {
	// Check is a query path anyone can use to check the record.
	Check string
	// Ballot says the write is a vote, so the receipt speaks of "your
	// vote".
	Ballot bool
	// Secret is shown once with the receipt (a new binding code) and never
	// stored.
	Secret string
	// AgentUnit, when set, says Secret is an agent code for the owner of
	// this unit (the unit the agent names to accept it).
	AgentUnit string
	// After is a template said after the receipt.
	After string
	// AfterEvents, when set, picks a template to say after the receipt
	// from the tx's events (whether an entry posted or waits, say).
	AfterEvents func(events []string) string
}

func actionFor(kind string) *actionKind {
	admin := []string{tx.RoleAdmin}
	switch kind {
	case "vote":
		return &actionKind{build: buildVote}
	case "bind":
		return &actionKind{build: buildBind}
	case "proxy":
		return &actionKind{build: buildProxy}
	case "proxyrevoke":
		return &actionKind{build: buildProxyRevoke}
	case "agent":
		return &actionKind{build: buildAgent}
	case "proxyvote":
		return &actionKind{build: buildProxyVote}
	case "poll":
		return &actionKind{roles: admin, build: buildPoll}
	case "decision":
		return &actionKind{roles: admin, build: buildDecision}
	case "code":
		return &actionKind{roles: admin, build: buildCode}
	case "role":
		return &actionKind{roles: admin, build: buildRole}
	case "groupcode":
		return &actionKind{roles: admin, local: runGroupCode}
	case "sheet":
		return &actionKind{roles: []string{tx.RoleScrutineer}, build: buildSheet}
	case "void":
		return &actionKind{roles: admin, build: buildVoid}
	case "notice":
		return &actionKind{roles: admin, build: buildNotice}
	case "ledger":
		return &actionKind{roles: []string{tx.RoleTreasurer, tx.RoleAdmin}, build: buildLedger}
	case "approve":
		return &actionKind{roles: admin, build: buildApprove}
	case "booking":
		return &actionKind{build: buildBooking}
	case "item":
		return &actionKind{build: buildItem}
	case "cancel":
		return &actionKind{build: buildCancel}
	case "accept":
		return &actionKind{build: buildAccept}
	case "decline":
		return &actionKind{build: buildDecline}
	case "return":
		return &actionKind{build: buildReturn}
	case "noshow":
		return &actionKind{build: buildNoShow}
	case "withdraw":
		return &actionKind{build: buildWithdraw}
	case "comment":
		return &actionKind{build: buildComment}
	case "dispute":
		return &actionKind{build: buildDispute}
	case "statement":
		return &actionKind{build: buildStatement}
	case "outcome":
		return &actionKind{build: buildOutcome}
	case "assign":
		return &actionKind{roles: admin, build: buildAssign}
	case "escalate":
		return &actionKind{build: buildEscalate}
	case "meeting":
		return &actionKind{build: buildMeeting}
	case "cancelp":
		return &actionKind{roles: admin, build: buildCancelProposal}
	case "repair":
		return &actionKind{build: buildRepair}
	case "repairok":
		return &actionKind{build: buildRepairOK}
	case "reopen":
		return &actionKind{build: buildReopen}
	}
	return nil
}

type receiptData struct {
	What   string
	Height int64
	Hash   string
	Check  string
	Secret string
	// AgentUnit says Secret is an agent code, accepted by naming this unit.
	AgentUnit string
	Ballot    bool
	// Link is the receipt's page on the notice board, when the engine
	// knows the board's public address.
	Link string
}

type rejectedData struct{ Message string }

type pendingData struct{ What string }

func (t *Turn) codeMessage(code uint32) string {
	return t.e.Templates.CodeMessage(code, abci.Code(code).String())
}

// execute submits a confirmed action and answers with its receipt, its
// rejection in plain words, or (past the channel's budget) a notice that
// the receipt follows.
func (t *Turn) execute(f *Frame) error {
	a := f.Action
	what, _, _ := strings.Cut(a.Summary, "\n")
	k := actionFor(a.Kind)
	if k == nil {
		return fmt.Errorf("unknown action %q", a.Kind)
	}
	if k.roles != nil {
		// The role is checked again now: it may have been revoked since
		// the dialogue began.
		m, err := t.Member()
		if err != nil {
			return err
		}
		if !hasRole(m, k.roles...) {
			t.leaveAction()
			t.say("bot.admin.refused", nil)
			return nil
		}
	}
	if k.local != nil {
		return k.local(t, a)
	}
	body, extra, err := k.build(t, a)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(t.ctx, t.e.budget(t.Req.Channel))
	resume := PauseFor(t.ctx)
	r, err := t.e.Ledger.Submit(ctx, t.user, body)
	resume()
	cancel()
	switch {
	case errors.Is(err, ledger.ErrPending):
		t.leaveAction()
		t.sess.addNote(Note{At: t.now.Unix(), What: what, Hash: r.Hash, Pending: true})
		t.say("bot.pending", pendingData{What: what})
		t.later = t.e.laterReceipt(t.Req, what, r.Hash, extra)
		return nil
	case err != nil:
		// The user stays on the confirmation and may answer 1 again.
		t.e.Logger.Error("submit", "type", body.Type(), "err", err)
		t.say("bot.busy", nil)
		return nil
	}
	t.memberKnown = false
	if r.Height > 0 {
		t.sess.addNote(Note{At: t.now.Unix(), What: what, Height: r.Height, Hash: r.Hash, Code: r.Code})
	}
	if r.Code == uint32(abci.CodeBindCodeWrong) && a.Kind == "bind" {
		// A mistyped code is not a dead end: the user stays on the code
		// question and may send the right one at once.
		return t.bindWrong(a)
	}
	if r.Code == uint32(abci.CodeAgentCodeWrong) && a.Kind == "agent" {
		return t.agentWrong()
	}
	t.leaveAction()
	t.sayOutcome(r, what, extra)
	return nil
}

// leaveAction drops the confirmation and the dialogue that led to it, and
// leaves the user on a "done" screen where only 0 (back) and 菜单 mean
// something, so that a repeated "1" cannot start the same write again.
func (t *Turn) leaveAction() {
	t.leaveDialogue()
	t.sess.push(Frame{Screen: "done"})
}

func (t *Turn) sayOutcome(r ledger.Receipt, what string, extra *actionExtra) {
	if r.Code != 0 {
		t.say("bot.rejected", rejectedData{Message: t.codeMessage(r.Code)})
		return
	}
	d := receiptData{What: what, Height: r.Height, Hash: short(r.Hash)}
	if t.e.BoardURL != "" {
		d.Link = strings.TrimSuffix(t.e.BoardURL, "/") + "/tx/" + r.Hash
	}
	if extra != nil {
		d.Check, d.Secret, d.Ballot, d.AgentUnit = extra.Check, extra.Secret, extra.Ballot, extra.AgentUnit
		if extra.Secret != "" {
			t.secrets = append(t.secrets, extra.Secret)
		}
	}
	t.say("bot.receipt", d)
	if extra != nil && extra.After != "" {
		t.say(extra.After, nil)
	}
	if extra != nil && extra.AfterEvents != nil {
		var types []string
		for _, ev := range r.Events {
			types = append(types, ev.Type)
		}
		if name := extra.AfterEvents(types); name != "" {
			t.say(name, nil)
		}
	}
}

// laterReceipt returns the Reply.Later of a pending tx: it waits for the
// commit, records the outcome in the user's receipts and says it.
func (e *Engine) laterReceipt(req *Request, what, hash string, extra *actionExtra) func(ctx context.Context) (*Reply, error) {
	r := *req
	return func(ctx context.Context) (*Reply, error) {
		rc, err := e.Ledger.Wait(ctx, hash)
		if err != nil {
			return nil, err
		}
		t := &Turn{ctx: ctx, e: e, Req: &r, user: UserRef{Channel: r.Channel, ID: r.User}}
		if err := e.updateLater(t, hash, rc.Height, rc.Code); err != nil {
			e.Logger.Error("record receipt", "err", err)
		}
		t.out = nil
		t.sayOutcome(rc, what, extra)
		rep := t.reply()
		rep.Private = true
		return rep, nil
	}
}
