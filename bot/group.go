package bot

import "github.com/linli-community/linli/abci"

// group answers a message in a group chat. The engine speaks there only
// when addressed (a command word or an @-mention) and only with public
// information; anything personal (voting, binding, my data, admin) is
// taken to a private chat. Group messages never touch the sender's
// private session.
func (t *Turn) group() {
	in := t.In
	if in.Kind != KindCommand {
		t.say("bot.group.menu", struct{ Community string }{t.community()})
		return
	}
	switch in.Cmd {
	case "菜单", "帮助":
		t.say("bot.group.menu", struct{ Community string }{t.community()})
	case "投票":
		list, more, err := t.listProposals()
		if err != nil {
			t.e.Logger.Error("group votes", "err", err)
			t.say("bot.error", nil)
			return
		}
		d := votesData{More: more}
		for i, p := range list {
			d.Items = append(d.Items, listItem{N: i + 1, Text: t.proposalLine(p)})
		}
		t.say("bot.group.votes", d)
	case "账目":
		var accounts []abci.LedgerAccount
		if _, err := t.query("accounts", &accounts); err != nil {
			t.e.Logger.Error("group accounts", "err", err)
			t.say("bot.error", nil)
			return
		}
		var d []accountLine
		for i, a := range accounts[:min(len(accounts), maxList)] {
			d = append(d, accountLine{N: i + 1, Name: a.Name, Balance: yuan(a.Balance), Fund: a.MaintenanceFund})
		}
		t.say("bot.group.accounts", struct{ Items []accountLine }{d})
	case "公告":
		var list []abci.Announcement
		if _, err := t.query("announcements", &list); err != nil {
			t.e.Logger.Error("group notices", "err", err)
			t.say("bot.error", nil)
			return
		}
		var d []noticeLine
		for i, a := range list[:min(len(list), maxList)] {
			d = append(d, noticeLine{N: i + 1, Title: clip(a.Title, 30), When: t.date(a.Time)})
		}
		t.say("bot.group.notices", struct{ Items []noticeLine }{d})
	default:
		t.say("bot.group.private", nil)
	}
}
