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
// Structure: Client is a thin facade over parts with their own state and
// lock — feed (the delivery engine: delivery.go, chain.go, links.go,
// session.go, watch.go, reset.go), outbox (send.go), people (presence.go,
// typing.go), prefs (settings.go, readmarks.go), verifier (verify.go),
// history (consumer.go, structure.go, conv.go) and notices (notices.go).
// docs/DESIGN.md ("Layout") lists every file, the lock order between the
// parts and the one verb for each concept.
package chat
