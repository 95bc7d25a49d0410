package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/bot/console"
	"github.com/linli-community/linli/config"
	"github.com/linli-community/linli/keys"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/node"
)

// The demo community.
const (
	demoCommunity = "阳光花园"
	demoChainID   = "linli-demo"
	// demoResident is the elderly resident the demo chats as: the owner
	// of 3-502, bound.
	demoResident = "wang"
	demoUnit     = "3-502"
	// demoAdmin is a chat user with the admin role (linli demo --as admin).
	demoAdmin = "admin"
	// demoNotice is the demo chain's minimum notice before an owners'
	// decision opens for votes: a second, so its decision is open at once.
	demoNotice = 1
)

func runDemo(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "demo", "[--as wang|admin|NAME] [--keep]")
	as := fs.String("as", demoResident, "chat as "+demoResident+" (owner of "+demoUnit+", bound), "+demoAdmin+" (an admin), or any new console user")
	keep := fs.Bool("keep", false, "keep the demo home instead of deleting it at the end")
	co := addChatFlags(fs)
	if err := parseNone(fs, "demo", args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "linli-demo-")
	if err != nil {
		return err
	}
	hm := home(filepath.Join(dir, "home"))
	if *keep {
		// The home, not the temporary directory around it: `start` on the
		// printed path must find the demo chain.
		defer fmt.Fprintf(env.Stderr, "linli demo: home kept in %s (run it again with: linli start --home %s)\n", hm, hm)
	} else {
		defer os.RemoveAll(dir)
	}
	addrs, err := node.FreeLoopbackAddrs(2)
	if err != nil {
		return err
	}
	rpc, p2p := addrs[0], addrs[1]
	params := abci.DefaultParams()
	params.MinNotice = demoNotice
	quiet := &Env{Stdin: env.Stdin, Stdout: io.Discard, Stderr: io.Discard}
	if err := initHome(quiet, initOptions{home: hm, community: demoCommunity, chainID: demoChainID,
		rpc: rpc, p2p: p2p, timeoutCommit: 200 * time.Millisecond, emptyBlocks: 500 * time.Millisecond, params: &params}); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "linli demo: 正在准备示范小区「%s」…\n", demoCommunity)
	// The node's own log (errors only) would interleave with the chat.
	n, closeAll, err := startNode(ctx, quiet, hm)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := closeAll(); err == nil {
			err = cerr
		}
	}()
	secret, err := keys.LoadMasterSecret(hm.masterSecret())
	if err != nil {
		return err
	}
	admin, err := keys.Load(hm.adminKey())
	if err != nil {
		return err
	}
	cust := ledger.NewCustodian(ledger.New(n.Local()), secret, demoChainID)
	if err := seedDemo(ctx, cust, admin); err != nil {
		return fmt.Errorf("demo: seeding the community: %w", err)
	}
	// The board on a free port, so that two demos can run side by side.
	stopBoard, err := startBoard(env, config.Default(), cust.Client(), n.RPCAddr(), "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer stopBoard()
	fmt.Fprintf(env.Stderr, "linli demo: 5 栋 120 户，1 项业主表决和 1 项投票正在进行。您是 %s 的业主（已绑定）：回复 菜单，再依次回复 1 1 1 1 就投下一票并拿到回执；Ctrl-D 结束。\n", demoUnit)
	co.budget = 10 * time.Second
	return chat(ctx, env, cust, hm.gatewayDB(), *as, co)
}

// demoUnits is the roster: buildings 1-5, six floors, four units a floor
// (3-502 is building 3, floor 5, unit 02), the same four layouts stacked.
// Units 2-101 and 2-102 have one owner; the top floor of building 5 is
// still the developer's.
func demoUnits() []tx.UnitSpec {
	layouts := []int64{8950, 12030, 7680, 13560} // 0.01 m²
	var units []tx.UnitSpec
	n := 0
	for b := 1; b <= 5; b++ {
		for floor := 1; floor <= 6; floor++ {
			for u := 1; u <= 4; u++ {
				n++
				owner := fmt.Sprintf("O-%03d", n)
				switch {
				case b == 2 && floor == 1 && u == 2:
					owner = "O-025" // the owner of 2-101
				case b == 5 && floor == 6:
					owner = "developer"
				}
				units = append(units, tx.UnitSpec{
					Unit: fmt.Sprintf("%d-%d%02d", b, floor, u), Building: fmt.Sprint(b),
					Area: layouts[u-1] + int64(b-1)*37, Owner: owner,
				})
			}
		}
	}
	return units
}

// demoNeighbours are bound owners who have already voted when the demo
// starts: choice on the decision, and on the poll (-1: not voted).
var demoNeighbours = []struct {
	unit           string
	decision, poll int
}{
	{"1-101", 0, 0}, {"1-302", 0, 1}, {"1-604", 0, -1}, {"2-201", 0, 0}, {"2-504", 1, 2},
	{"3-101", 0, 0}, {"3-303", 0, -1}, {"3-601", 2, 1}, {"4-202", 0, 0}, {"4-403", 1, -1},
	{"5-101", 0, 2}, {"5-302", 0, -1},
}

// seedDemo fills the demo chain through ordinary transactions: the roster,
// two chat admins, an owners' decision and a poll open for votes, the
// resident bound to 3-502, neighbours who have voted (two of them have
// commented on the decision), a month of account entries (one waiting for
// approvals), a few shared items and a notice.
func seedDemo(ctx context.Context, c *ledger.Custodian, admin ed25519.PrivateKey) error {
	now := time.Now().Unix()
	key := func(user string) ed25519.PrivateKey {
		k, _ := c.Key(ledger.User{Channel: console.Channel, ID: user})
		return k
	}
	chatAdmin := keys.Address(key(demoAdmin))
	decision := &tx.ProposalOpen{
		Title: "使用维修资金更换3栋两部电梯",
		Text: "3栋两部电梯已运行18年，近一年故障11次。拟使用专项维修资金约46万元更换，施工约30天，期间请走楼梯。" +
			"报价单和检测报告在物业前台公示，欢迎查看。",
		Class: tx.ClassOrdinary, NoticeAt: now, VoteStart: now + demoNotice + 1, VoteEnd: now + 7*24*3600,
	}
	poll := &tx.PollOpen{
		Title: "小区游园会定在哪天？", Options: []string{"本周六下午", "本周日上午", "都可以"},
		VoteStart: now - 60, VoteEnd: now + 3*24*3600,
	}
	// The decision is proposal 1 and the poll proposal 2.
	if err := submitAll(ctx, c,
		signed{admin, &tx.UnitRegister{Units: demoUnits()}},
		signed{admin, &tx.RoleGrant{Address: chatAdmin, Role: tx.RoleAdmin}},
		signed{admin, &tx.RoleGrant{Address: keys.Address(key("caiwu")), Role: tx.RoleTreasurer}},
		signed{admin, decision},
	); err != nil {
		return err
	}
	if err := submitAll(ctx, c, signed{admin, poll}); err != nil {
		return err
	}

	// One-time binding codes, issued and used at once.
	residents := []struct{ user, unit string }{{demoResident, demoUnit}}
	for _, nb := range demoNeighbours {
		residents = append(residents, struct{ user, unit string }{"neighbour-" + nb.unit, nb.unit})
	}
	codes := make([]string, len(residents))
	var issue, bind []signed
	for i, r := range residents {
		codes[i] = fmt.Sprintf("%016d", 1_000_000_000_000_000+i*7919)
		salt := make([]byte, tx.BindCodeSaltSize)
		if _, err := rand.Read(salt); err != nil {
			return err
		}
		issue = append(issue, signed{admin, tx.NewBindCodeIssue(r.unit, tx.RelationOwner, codes[i], salt, now+3600)})
		bind = append(bind, signed{key(r.user), &tx.MemberBind{Unit: r.unit, Relation: tx.RelationOwner, Code: codes[i]}})
	}
	// The treasurer's entries so far this month; the greening bill is
	// above the approval threshold and waits for two admins.
	caiwu := key("caiwu")
	entry := func(kind, account string, fen int64, category, counterparty, memo string) signed {
		return signed{caiwu, &tx.EntryRecord{Kind: kind, Account: account, Amount: fen, Category: category, Counterparty: counterparty, Memo: memo}}
	}
	issue = append(issue,
		entry(tx.EntryIncome, "mgmt", 12_800_000, "物业费", "", "本季度物业费"),
		entry(tx.EntryIncome, "public", 320_000, "停车费", "", "地面停车位租金"),
	)
	if err := submitAll(ctx, c, issue...); err != nil {
		return err
	}
	// Expenses after the income they are paid from.
	bind = append(bind,
		entry(tx.EntryExpense, "mgmt", 456_020, "电费", "供电局", "公共照明和电梯用电"),
		entry(tx.EntryExpense, "mgmt", 480_000, "保洁", "洁美保洁公司", ""),
		entry(tx.EntryExpense, "mgmt", 1_200_000, "绿化", "四季园林公司", "春季补种草坪"),
	)
	if err := submitAll(ctx, c, bind...); err != nil {
		return err
	}

	// Voting on the decision opens a moment after its notice.
	if err := waitBlockTime(ctx, c, decision.VoteStart); err != nil {
		return err
	}
	// A few things neighbours share, and a notice.
	votes := []signed{
		{key("neighbour-1-302"), &tx.ItemPost{Kind: tx.ItemParking, Title: "地下车位 B2-051", Text: "工作日白天空着，晚上 7 点前请开走。",
			Terms: tx.Terms{Price: 500, Per: tx.PerHour}}},
		{key("neighbour-2-201"), &tx.ItemPost{Kind: tx.ItemTool, Title: "电钻（带三个钻头）", Text: "用完请放回 2-201 门口。"}},
		{key("neighbour-4-202"), &tx.ItemPost{Kind: tx.ItemTool, Title: "折叠梯 2 米"}},
		{key("neighbour-5-101"), &tx.ItemPost{Kind: tx.ItemRoom, Title: "一楼活动室", Text: "可以下棋、开小会。", Terms: tx.Terms{Price: 2000, Per: tx.PerDay}}},
		{admin, &tx.AnnouncementPost{Title: "3栋电梯维修资金表决开始", Text: "关于使用维修资金更换3栋两部电梯的业主表决已经开始，" +
			"请各位业主在截止前投票。回复 菜单，再回复 1 就能投票。"}},
		{key("neighbour-3-101"), &tx.CommentPost{On: tx.CommentOnProposal, Target: 1, Text: "电梯上个月困过人，早换早安心，支持。"}},
		{key("neighbour-2-504"), &tx.CommentPost{On: tx.CommentOnProposal, Target: 1, Text: "希望公布三家报价，换好后的维保费用也说清楚。"}},
	}
	for _, nb := range demoNeighbours {
		k := key("neighbour-" + nb.unit)
		votes = append(votes, signed{k, &tx.VoteCast{Proposal: 1, Choices: []int{nb.decision}}})
		if nb.poll >= 0 {
			votes = append(votes, signed{k, &tx.VoteCast{Proposal: 2, Choices: []int{nb.poll}}})
		}
	}
	return submitAll(ctx, c, votes...)
}

type signed struct {
	key  ed25519.PrivateKey
	body tx.Body
}

// submitAll submits txs concurrently (each signer's in nonce order) and
// waits until all are committed; any rejection is an error.
func submitAll(ctx context.Context, c *ledger.Custodian, txs ...signed) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	errs := make([]error, len(txs))
	var wg sync.WaitGroup
	for i, s := range txs {
		wg.Go(func() {
			r, err := c.SubmitKey(ctx, s.key, s.body)
			if err == nil && r.Code != 0 {
				err = fmt.Errorf("%s: code %d (%s): %s", s.body.Type(), r.Code, abci.Code(r.Code), r.Log)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// waitBlockTime waits until the chain's last block time reaches t.
func waitBlockTime(ctx context.Context, c *ledger.Custodian, t int64) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		res, err := c.Query(ctx, "chain")
		if err != nil {
			return err
		}
		var info struct {
			BlockTime int64 `json:"block_time"`
		}
		if err := json.Unmarshal(res.Value, &info); err != nil {
			return err
		}
		if info.BlockTime >= t {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("chain time did not reach %d: %w", t, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
