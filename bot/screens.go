package bot

import (
	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
)

// screen is one kind of numbered screen: how it is shown and how a reply
// on it is read.
type screen struct {
	show  func(t *Turn, f *Frame) error
	input func(t *Turn, f *Frame) error
	// stepBack, for a guided dialogue, goes back one question and reports
	// whether it did (false on the first question: leave the dialogue).
	stepBack func(f *Frame) bool
	// freeText screens (dialogue questions) receive any text, except the
	// navigation words 菜单 and 返回.
	freeText bool
	// message screens are shown without becoming the current screen.
	message bool
	// dialogue screens are left together with their confirmation once it
	// is answered with a receipt.
	dialogue bool
}

// screenFor returns the screen named name, or nil.
func screenFor(name string) *screen {
	switch name {
	case "home":
		return &screen{show: showHome, input: menuInput(chooseOpen)}
	case "votes":
		return &screen{show: showVotes, input: menuInput(chooseVotes)}
	case "meetings":
		return &screen{show: showMeetings, input: menuInput(chooseMeetings)}
	case "item":
		return &screen{show: showItem, input: itemInput}
	case "confirm":
		return &screen{show: showConfirm, input: confirmInput}
	case "mine":
		return &screen{show: showMine, input: menuInput(chooseOpen)}
	case "receipts":
		return &screen{show: showReceipts, input: menuInput(chooseOpen)}
	case "done":
		return &screen{show: func(t *Turn, _ *Frame) error { t.say("bot.done", nil); return nil }, input: menuInput(chooseOpen)}
	case "help":
		return &screen{show: showHelp, message: true}
	case "unbind":
		return &screen{show: func(t *Turn, _ *Frame) error { t.say("bot.unbind", nil); return nil }, message: true}
	case "accounts":
		return &screen{show: showAccounts, input: menuInput(chooseAccount)}
	case "account":
		return &screen{show: showAccount, input: menuInput(chooseEntry)}
	case "entry":
		return &screen{show: showEntry, input: menuInput(chooseEntryAction)}
	case "admin.approve":
		return &screen{show: showPending, input: menuInput(chooseEntry)}
	case "sharing":
		return &screen{show: showSharing, input: menuInput(chooseSharing)}
	case "share.items", "share.bookings", "share.posted":
		return &screen{show: showShareList, input: menuInput(chooseShare)}
	case "share.item":
		return &screen{show: showShareItem, input: menuInput(chooseShareItem)}
	case "share.booking":
		return &screen{show: showShareBooking, input: menuInput(chooseShareBooking)}
	case "share.requests":
		return &screen{show: showShareRequests, input: menuInput(chooseShareRequests)}
	case "share.request":
		return &screen{show: showShareRequest, input: menuInput(chooseShareRequest)}
	case "notices":
		return &screen{show: showNotices, input: menuInput(chooseNotice)}
	case "notice":
		return &screen{show: showNotice, input: menuInput(func(t *Turn, f *Frame, _ string) error {
			return t.openComments(tx.CommentOnAnnouncement, f.ID)
		})}
	case "disputes":
		return &screen{show: showDisputes, input: menuInput(chooseDisputes)}
	case "dispute":
		return &screen{show: showDispute, input: menuInput(chooseDispute)}
	case "dispute.mediators":
		return &screen{show: showMediators, input: menuInput(chooseMediator)}
	case "comments":
		return &screen{show: showComments, input: menuInput(chooseComments)}
	case "repairs":
		return &screen{show: showRepairs, input: menuInput(chooseRepairs)}
	case "repairs.mine":
		return &screen{show: showMyRepairs, input: menuInput(chooseRepair)}
	case "repair":
		return &screen{show: showRepair, input: menuInput(chooseRepairAction)}
	case "points":
		return &screen{show: showPoints, input: menuInput(chooseOpen)}
	case "bind":
		return &screen{show: showBind, input: bindInput, stepBack: bindStepBack, freeText: true, dialogue: true}
	case "proxy":
		return &screen{show: showProxies, input: menuInput(chooseProxies)}
	case "form.proxy":
		return &screen{show: showProxyForm, input: proxyFormInput, stepBack: proxyFormStepBack, freeText: true, dialogue: true}
	case "agent":
		return &screen{show: showAgent, input: agentInput, stepBack: agentStepBack, freeText: true, dialogue: true}
	case "proxy.owners":
		return &screen{show: showRepresented, input: menuInput(chooseRepresented)}
	case "proxy.ballot":
		return &screen{show: showProxyBallot, input: proxyBallotInput, dialogue: true}
	case "admin":
		return &screen{show: showAdmin, input: menuInput(chooseAdmin)}
	case "admin.notvoted":
		return &screen{show: showNotVoted, input: notVotedInput}
	case "admin.poll", "admin.decision", "admin.code", "admin.role", "admin.notice", "admin.ledger", "admin.sheet", "admin.void", "admin.group",
		"form.repair", "form.reopen", "form.item", "form.booking", "form.comment",
		"form.dispute", "form.statement", "form.outcome", "form.cancel", "form.meeting":
		return &screen{show: showDialogue, input: dialogueInput, stepBack: dialogueStepBack, freeText: true, dialogue: true}
	}
	return nil
}

// menuInput reads a reply on a numbered menu: 0 goes back, a listed digit
// calls choose with what it meant, anything else repeats the menu with a
// hint.
func menuInput(choose func(t *Turn, f *Frame, choice string) error) func(t *Turn, f *Frame) error {
	return func(t *Turn, f *Frame) error {
		if t.In.Kind == KindNumber && len(t.In.Nums) == 1 {
			n := t.In.Nums[0]
			if n == 0 {
				return t.Back()
			}
			if n <= len(f.Choices) && f.Choices[n-1] != "" {
				return choose(t, f, f.Choices[n-1])
			}
		}
		return t.hint(f)
	}
}

func chooseOpen(t *Turn, _ *Frame, choice string) error {
	if choice == "bind" {
		return serveBind(t)
	}
	if choice == "admin" {
		return serveAdmin(t)
	}
	return t.Open(Frame{Screen: choice})
}

type homeData struct {
	Community string
	Bound     bool
	Unit      string
	Relation  string
	Admin     bool
}

func showHome(t *Turn, f *Frame) error {
	m, err := t.Member()
	if err != nil {
		return err
	}
	if m.Agent && m.Unit == "" {
		// An agent sees only the votes.
		f.Choices = []string{"votes", "", "", "", "", "", "", "", "help"}
		t.say("bot.agent.home", struct{ Community string }{t.community()})
		return nil
	}
	d := homeData{Community: t.community(), Bound: m.Unit != "", Unit: m.Unit, Relation: m.Relation,
		Admin: hasRole(m, tx.RoleAdmin, tx.RoleTreasurer, tx.RoleMediator, tx.RoleScrutineer)}
	f.Choices = []string{"votes", "accounts", "sharing", "notices", "mine", "repairs", "", "", "help"}
	if d.Admin {
		f.Choices[7] = "admin"
	}
	t.say("bot.home", d)
	return nil
}

func showHelp(t *Turn, _ *Frame) error {
	t.say("bot.help", nil)
	return nil
}

type comingData struct{ Feature string }

// showComing answers a menu entry whose ledger records are still being
// added to the chain ("bot.word.feature" names each).
func showComing(t *Turn, f *Frame) error {
	t.say("bot.coming", comingData{Feature: f.Screen})
	return nil
}

type mineData struct {
	Bound    bool
	Unit     string
	Relation string
	Owner    string
	Roles    []string
	Address  string
}

func showMine(t *Turn, f *Frame) error {
	m, err := t.Member()
	if err != nil {
		return err
	}
	d := mineData{Bound: m.Unit != "", Unit: m.Unit, Relation: m.Relation, Owner: m.Owner, Roles: m.Roles, Address: short(string(m.Address))}
	f.Choices = []string{"receipts", "points", "unbind"}
	if !d.Bound {
		f.Choices[2] = "bind"
	}
	t.say("bot.mine", d)
	return nil
}

type receiptsData struct{ Items []noteLine }

type noteLine struct {
	When   string
	What   string
	Height int64
	Hash   string
	// FullHash is the whole tx hash, which linli verify takes.
	FullHash string
	Pending  bool
	Failed   string
}

func showReceipts(t *Turn, f *Frame) error {
	var d receiptsData
	for _, n := range t.sess.Receipts {
		l := noteLine{When: t.date(n.At), What: n.What, Height: n.Height, Hash: short(n.Hash), FullHash: n.Hash, Pending: n.Pending}
		if n.Code != 0 {
			l.Failed = t.e.Templates.CodeMessage(n.Code, abci.Code(n.Code).String())
		}
		d.Items = append(d.Items, l)
	}
	f.Choices = nil
	t.say("bot.receipts", d)
	return nil
}

// short is the first 8 hex digits of a tx hash, what receipts show.
func short(hash string) string {
	if len(hash) > 8 {
		return hash[:8]
	}
	return hash
}
