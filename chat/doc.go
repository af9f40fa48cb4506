// Package chat is rtchat's messaging core on Redis: the models (User, Channel,
// Message), the key schema, the channel and subscription managers, and the
// delivery engine that turns a Redis Stream plus Pub/Sub into an exactly-once,
// in-order feed of messages.
//
// The package knows nothing of the terminal UI. A Client is safe for concurrent
// use; its events arrive on one receive-only channel (Client.Events) in the
// order the client must show them.
//
// Delivery in brief (SPEC §9): a send is one Lua script that XADDs the entry to
// the channel's stream and PUBLISHes the stored entry, guarded by a client-made
// message id so that a retried send is stored once. A client holds one Pub/Sub
// connection for all its channels; after every (re)subscription it catches up
// from the stream after the last id it delivered, and it drops live entries
// whose id is not newer. A watchdog PINGs the subscription and starts over when
// no reply comes back in time.
package chat
