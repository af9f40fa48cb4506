package ui

import (
	"context"

	"github.com/rtchat/rtchat/chat"
)

// Backend is what the UI needs from the chat core. *chat.Client satisfies
// it; tests may pass their own. Every method but User, Send and Events may
// block and is called off the UI goroutine.
type Backend interface {
	// User is the user name this client speaks as.
	User() string
	// Events delivers messages, history pages and link changes in order.
	Events() <-chan chat.Event
	// Join creates channel if new and subscribes to it.
	Join(ctx context.Context, channel string) (chat.Channel, error)
	// Leave unsubscribes from channel.
	Leave(ctx context.Context, channel string) error
	// Send queues a message; its fate arrives as SendEvents.
	Send(d chat.Draft) (string, error)
	// History returns the page of channel before stream id before.
	History(ctx context.Context, channel, before string) ([]chat.Message, bool, error)
	// ListChannels returns every channel.
	ListChannels(ctx context.Context) ([]chat.Channel, error)
	// MyChannels returns the channels the user is subscribed to.
	MyChannels(ctx context.Context) ([]string, error)
	// SetTopic sets a channel's description.
	SetTopic(ctx context.Context, channel, topic string) error
	// DeleteChannel deletes a channel the user created.
	DeleteChannel(ctx context.Context, channel string) error
	// Members lists a channel's subscribers.
	Members(ctx context.Context, channel string) ([]string, error)
}
