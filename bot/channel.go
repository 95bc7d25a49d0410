package bot

import "context"

// What the engine needs of group channels. The channel-neutral notifier
// decides what is public news and hands it to every enabled
// GroupAnnouncer; each adapter (bot/wxgroup through a personal account,
// bot/wecom through WeCom customer groups) knows its own groups, which
// building each is tied to, and its platform's pacing and budgets. No
// adapter's type appears here.

// Kinds of group notices.
const (
	GroupNoticed      = "noticed"      // a decision or poll was noticed, with when voting opens
	GroupOpened       = "opened"       // voting opened
	GroupTurnout      = "turnout"      // live turnout against the two-thirds thresholds
	GroupReminder     = "reminder"     // the last day of a vote
	GroupResult       = "result"       // a decision's or poll's result, with its figures
	GroupAnnouncement = "announcement" // an admin's announcement
)

// GroupNotice is one public notice for the community's groups. It never
// holds a unit's choice, a name or anything personal.
type GroupNotice struct {
	// Key identifies the notice ("proposal/3/opened"); a channel sends
	// each key at most once.
	Key string
	// Kind is one of the Group* kinds.
	Kind string
	// Buildings, when not empty, limits the notice to groups tied to one
	// of these buildings (a building's electorate). An empty list means
	// every group of the community.
	Buildings []string
	// Important marks what a channel with a tight budget must send (WeCom
	// allows about one message per group a day): a vote opened, the last
	// day, a result, an announcement an admin marked important. A channel
	// may merge or drop the others.
	Important bool
	// Text is the rendered notice.
	Text string
	// Height is the block height the notice was decided at.
	Height int64
}

// GroupAnnouncer posts public notices to the groups of one channel.
// Announce queues and returns promptly: a slow or blocked channel never
// holds the notifier or another channel up. An error means the notice
// was not queued.
type GroupAnnouncer interface {
	Channel() string
	Announce(ctx context.Context, n GroupNotice) error
}

// AdminAlerter tells the community's admins something privately (on the
// official account), such as a group adapter that WeChat logged out.
type AdminAlerter interface {
	AlertAdmins(ctx context.Context, text string) error
}
