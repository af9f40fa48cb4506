package ui

import (
	"context"
	"time"

	"github.com/rtchat/rtchat/chat"
)

// Backend is what the UI needs from the chat core: the roles below,
// composed the way go-redis composes Cmdable. *chat.Client satisfies it;
// tests pass their own. Every method but User, Events, Send, Typing and
// Verify may block and is called off the UI goroutine.
type Backend interface {
	// User is the user name this client speaks as.
	User() string
	// Events delivers messages, history pages and link changes in order.
	Events() <-chan chat.Event

	Conversations
	Reader
	Sender
	People
	Attention
	Files
	ServerCommands
	// Verify says whether message id of channel is its author's (never
	// blocks; a pending answer comes as a VerifiedEvent).
	Verify(channel string, id chat.ID) chat.Verdict
}

// Conversations joins, leaves and lists conversations.
type Conversations interface {
	// Join creates channel if new and subscribes to it.
	Join(ctx context.Context, channel string) (chat.Channel, error)
	// JoinAll joins the user's conversations at start, at once (in the
	// round trips of one); it returns those joined, in order, and the
	// error of each that could not be.
	JoinAll(ctx context.Context, channels []string) ([]chat.Channel, map[string]error)
	// Leave unsubscribes from channel.
	Leave(ctx context.Context, channel string) error
	// ListChannels returns every channel.
	ListChannels(ctx context.Context) ([]chat.Channel, error)
	// Opening returns what the window opens with: the conversations to
	// reopen and the person's settings (what could be read, and an
	// error for what could not).
	Opening(ctx context.Context) (chat.Opening, error)
	// SetTopic sets a channel's description.
	SetTopic(ctx context.Context, channel, topic string) error
	// DeleteChannel deletes a channel the user created.
	DeleteChannel(ctx context.Context, channel string) error
}

// Reader reads what a conversation holds.
type Reader interface {
	// History returns the page of channel before stream id before (the
	// zero ID for the newest page): its messages, whether older ones
	// remain, and whether retention removed them.
	History(ctx context.Context, channel string, before chat.ID) (chat.Page, error)
	// Thread returns the root of a thread and its replies, oldest first.
	Thread(ctx context.Context, channel string, root chat.ID) (chat.Message, []chat.Message, error)
	// Around returns up to n messages each side of stream id id.
	Around(ctx context.Context, channel string, id chat.ID, n int64) ([]chat.Message, error)
	// SearchEverywhere returns the next page of messages matching q in
	// every conversation the user may read (q.In narrows them), newest
	// first, after cursor (the zero cursor starts).
	SearchEverywhere(ctx context.Context, q chat.Query, cursor chat.SearchCursor, limit int) (chat.SearchResults, error)
}

// Sender sends; neither method blocks.
type Sender interface {
	// Send queues a message — or an edit, delete, reaction, reply or
	// thread reply (see chat.Draft); its fate arrives as SendEvents.
	Send(d chat.Draft) (string, error)
	// Typing tells the channel that the user is typing (throttled).
	Typing(channel string)
}

// People says who is there.
type People interface {
	// Who lists a channel's members and those with a live session now.
	Who(ctx context.Context, channel string) (chat.Presence, error)
	// SetAway marks the user away (or back) for everyone; Away says who of
	// users is away, with their messages.
	SetAway(ctx context.Context, away bool, message string) error
	Away(ctx context.Context, users []string) (map[string]string, error)
}

// Attention keeps what the user has read and how they want to be told.
type Attention interface {
	// MarkRead moves the user's read marker in channel forward to id; the
	// user's terminals hear of it as ReadEvents.
	MarkRead(ctx context.Context, channel string, id chat.ID) error
	// ReadMarkers returns the user's read markers: channel → stream id.
	ReadMarkers(ctx context.Context) (map[string]chat.ID, error)
	// ChangeSettings changes a notification level, a pin, the highlight
	// words or do-not-disturb (read with Opening; every terminal of the
	// user hears of a change as a SettingsEvent).
	ChangeSettings(ctx context.Context, ch chat.SettingsChange) error
	// MentionInbox returns the newest entries of the user's mentions
	// inbox (others' @mentions, direct messages, replies, reactions),
	// newest first; MarkMentionsRead marks those up to a time read.
	MentionInbox(ctx context.Context, limit int) ([]chat.Mention, error)
	MarkMentionsRead(ctx context.Context, upTo time.Time) error
	// RememberMention keeps m in the inbox: it calls on the user in a way
	// only their window can tell (a bare name, @here, a highlight word).
	RememberMention(ctx context.Context, m chat.Message) error
}
