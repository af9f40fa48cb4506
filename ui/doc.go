// Package ui is rtchat's full-screen client: a tview layout of header,
// channel list, message log, input and status bar, driven by a Backend
// (the chat client) it never looks behind. It makes no Redis calls.
//
// Concurrency contract (as tview's own): widgets are touched only on the
// tview event loop. Handlers that run there (keys, mouse, commands) change
// widgets directly. Work that blocks — every Backend call but Send, and
// every Backend event — runs on goroutines owned by the App, which hand
// their results to the loop with App.post (QueueUpdateDraw); handlers
// never call post. Every goroutine stops when the App's context is
// cancelled, which happens before the tview application is stopped, so
// nothing waits on the loop after it has ended.
//
// Text from users and from Redis reaches the screen through exactly one
// of two doors: escape, for tview widgets that interpret style tags, or
// the logView and channelList, which draw plain text cell by cell and
// never interpret tags; both pass it through sanitize first.
//
// What the window knows lives in model (model.go), without widgets; App
// draws it and its parts (attention, selection, prompt, marker, composer,
// threads, searcher) act on the widgets. Slash commands are functions in
// commandTable.
package ui
