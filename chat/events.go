package chat

// Event is something the client has to show; see the concrete types.
type Event interface{ isEvent() }

// MessageEvent carries one message of a subscribed channel, live or caught
// up, in stream order and exactly once per client.
type MessageEvent struct{ Message Message }

// HistoryEvent carries the newest page of a channel just joined, oldest
// first. Complete is true when the page holds the whole stream.
type HistoryEvent struct {
	Channel  string
	Messages []Message
	Complete bool
}

// TruncatedEvent says that entries of Channel newer than the last one shown
// were trimmed from the stream before the client could catch up.
type TruncatedEvent struct{ Channel string }

// ChannelsChangedEvent says the channel list changed (created, deleted,
// described); re-read it with ChannelManager.List.
type ChannelsChangedEvent struct{}

// State is the condition of the client's link to Redis.
type State int

// Link states.
const (
	StateConnecting State = iota
	StateConnected
	StateReconnecting
)

func (s State) String() string {
	switch s {
	case StateConnected:
		return "connected"
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
// while it waits for the link (it will be retried); otherwise ID holds its
// stream id, or Err why it can never be sent.
type SendEvent struct {
	MsgID   string
	Channel string
	Pending bool
	ID      string
	Err     error
}

func (MessageEvent) isEvent()         {}
func (HistoryEvent) isEvent()         {}
func (TruncatedEvent) isEvent()       {}
func (ChannelsChangedEvent) isEvent() {}
func (StateEvent) isEvent()           {}
func (SendEvent) isEvent()            {}
