package chat

// Event is something the client has to show; see the concrete types.
type Event interface{ isEvent() }

// MessageEvent carries one message of a subscribed channel, live or caught
// up, in stream order and exactly once per client.
type MessageEvent struct{ Message Message }

// HistoryEvent carries the newest page of a channel just joined, oldest
// first. Complete is true when the page holds the whole stream, and
// Trimmed then when retention removed older entries (see Page). ReadID is
// the user's read marker in the channel (the zero ID when the user never
// read it) and Unread counts the entries after it up to the end of the
// page (live entries come after the page, so a reader adds those as they
// arrive).
type HistoryEvent struct {
	Channel  string
	Messages []Message
	Complete bool
	Trimmed  bool
	ReadID   ID
	Unread   Unread
}

// Unread counts the messages of a channel after the user's read marker,
// other users' only.
type Unread struct {
	// Count is how many; Mentions how many of them mention the user.
	Count, Mentions int
	// More is true when there were more than Count (counting stops at
	// UnreadLimit entries, so a long absence costs one bounded read).
	More bool
}

// ReadEvent says that the user's read marker in Channel moved to ID — in
// this terminal or in another one of the same user.
type ReadEvent struct {
	Channel string
	ID      ID
}

// TypingEvent says that User is typing in Channel now (at most every
// TypingEvery; it is never stored).
type TypingEvent struct{ Channel, User string }

// TruncatedEvent says that entries of Channel newer than the last one shown
// were trimmed from the stream before the client could catch up.
type TruncatedEvent struct{ Channel string }

// ChannelsChangedEvent says the channel list changed (created, deleted,
// described); re-read it with ListChannels.
type ChannelsChangedEvent struct{}

// RetractedEvent takes back messages of Channel that were delivered live
// but are not in the stream: someone who may publish on the channel's
// topic made them up (and chained them onto the last message shown, so
// they passed for real until the stream was read). Whoever showed them
// should remove them; a real entry may later arrive with one of these ids.
//
// Lost is set instead when the server lost its data (FLUSHALL, a restart
// without saving) after they were shown: they were real, and are gone,
// and so is every message up to Through (when not zero), the history the
// client read from the stream before the loss.
type RetractedEvent struct {
	Channel string
	IDs     []ID
	Lost    bool
	Through ID
}

// JoinedEvent says that the client follows a conversation the user did
// not open here: a direct conversation someone else started, a private
// channel an admin added the user to. Its HistoryEvent follows.
type JoinedEvent struct{ Channel Channel }

// RemovedEvent says that an admin took the user out of private channel
// Channel: the client no longer follows it.
type RemovedEvent struct{ Channel string }

// ResetEvent says that the server lost its data (FLUSHALL, or a restart
// without persistence) and the client has registered the user and its
// memberships again. History before the loss is gone; read markers that
// only the reader holds should be stored again.
type ResetEvent struct{}

// NoticeEvent is something the user should know that stops nothing: a
// key of the wrong type that was skipped, for instance.
type NoticeEvent struct{ Text string }

// State is the condition of the client's link to Redis.
type State int

// Link states.
const (
	StateConnecting State = iota
	StateConnected
	// StateStalled: the link is open but the server has not answered the
	// watchdog for a while (paused, overloaded, or a dead network).
	StateStalled
	StateReconnecting
)

func (s State) String() string {
	switch s {
	case StateConnected:
		return "connected"
	case StateStalled:
		return "no answer from Redis"
	case StateReconnecting:
		return "reconnecting"
	default:
		return "connecting"
	}
}

// StateEvent reports a change of the link: Attempt counts reconnect attempts
// since the link was last up, Err is why it went down.
type StateEvent struct {
	State   State
	Attempt int
	Err     error
}

// SendEvent reports the fate of a message queued with Send. Pending is true
// while it waits for the link (it will be retried; the StateEvents say
// why); otherwise ID holds its stream id, or Err why it can never be sent.
type SendEvent struct {
	MsgID   string
	Channel string
	Pending bool
	ID      ID
	Err     error
}

func (MessageEvent) isEvent()         {}
func (HistoryEvent) isEvent()         {}
func (TruncatedEvent) isEvent()       {}
func (ChannelsChangedEvent) isEvent() {}
func (StateEvent) isEvent()           {}
func (SendEvent) isEvent()            {}
func (ReadEvent) isEvent()            {}
func (TypingEvent) isEvent()          {}
func (ResetEvent) isEvent()           {}
func (RemovedEvent) isEvent()         {}
func (JoinedEvent) isEvent()          {}
func (RetractedEvent) isEvent()       {}
func (NoticeEvent) isEvent()          {}
func (PresenceEvent) isEvent()        {}
func (MembersEvent) isEvent()         {}
