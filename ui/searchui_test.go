package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
)

// /search looks in every conversation: each hit names its conversation,
// the words it matched are marked, Enter opens it selected in its
// conversation (joined if need be), and Esc comes back to the results.
func TestSearchEverywhereInTheWindow(t *testing.T) {
	f := conversation()
	f.add("ops", "dave", "the deploy of ops is done", fixedTime.Add(time.Minute))
	s := showFake(t, f, 100, 24)
	s.say(t, "/search deploy", "search everywhere for \"deploy\"")
	s.waitText(t, "#ops  ")
	s.waitText(t, "#general  ")
	x, y, ok := s.find("deploy of ops")
	if !ok || s.style(x, y) == s.style(x-2, y) {
		t.Fatalf("the matched word is not marked:\n%s", s.text())
	}
	xg, yg, _ := s.find("#general  ")
	if yg < y {
		t.Fatal("not newest first")
	}
	// The selected row (the first) can be seen, in the default theme
	// too, whose list selection has the log's background.
	if xo, yo, _ := s.find("#ops  "); s.style(xo, yo) == s.style(xg, yg) {
		t.Fatalf("the selected row looks like the others:\n%s", s.text())
	}
	s.key(tcell.KeyEnter, 0) // the first: #ops, not joined yet
	s.waitFor(t, "#ops open with the hit selected", func(text string) bool {
		return strings.Contains(text, "#ops · subscribed") && strings.Contains(text, "message: r reply") && !strings.Contains(text, "search everywhere")
	})
	s.key(tcell.KeyEscape, 0)
	s.waitText(t, "search everywhere for \"deploy\"")
	s.key(tcell.KeyEscape, 0)
	s.waitFor(t, "closed", func(text string) bool { return !strings.Contains(text, "search everywhere") })
	s.say(t, "/search has:cat", "has:cat is not a filter")
}
