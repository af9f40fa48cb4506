// Package chat is rtchat's messaging core on Redis: the models (User, Channel,
// Message), the key schema, the channel and subscription managers, and the
// delivery engine that turns a Redis Stream plus Pub/Sub into an exactly-once,
// in-order feed of messages.
//
// The package knows nothing of the terminal UI. A Client is safe for concurrent
// use; its events arrive on one receive-only channel (Client.Events) in the
// order the client must show them.
//
// Delivery in brief (docs/DESIGN.md has the whole design): a send is one Lua
// script that XADDs the entry to the channel's stream and PUBLISHes the
// stored entry with its id and the id of the entry before it. A client
// holds one Pub/Sub connection for all its channels (one per master on a
// cluster). The stream is the source of truth: a live entry is shown only
// when it follows the last entry shown; anything else, and every
// (re)subscription, makes the client read the stream after the last point
// it read from it. A watchdog PINGs a silent subscription and starts over
// when no reply comes back in time; a retried send looks for its
// client-made id among the entries its earlier tries may have added, so it
// is stored once.
//
// Files: client.go (options, lifecycle), send.go, delivery.go (follow,
// live entries, catch-up), chain.go (what a live entry may be trusted
// with), links.go and session.go (Pub/Sub connections and the watchdog),
// watch.go (entries other tools add), presence.go, readmarks.go,
// typing.go, search.go, channels.go and subscriptions.go (the managers),
// keys.go (key schema), model.go, livefmt.go and id.go (formats).
package chat
