package ui_test

import (
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/internal/bidi"
	"github.com/rtchat/rtchat/ui"
)

// shaped writes runes as a string (presentation forms by code point).
func shaped(rs ...rune) string { return string(rs) }

// With Bidi, Persian, Arabic and Hebrew lines read right to left on a
// terminal that draws cells left to right: in visual order, Arabic
// letters joined, numbers and English kept as they are, brackets
// mirrored, a bold word bold; a long line is wrapped on its logical text
// and each row reordered on its own; search results too.
func TestRightToLeftInTheWindow(t *testing.T) {
	f := newFakeBackend("me")
	f.add("general", "alice", "سلام دنیا — looks good", fixedTime)
	f.add("general", "bob", "שלום (123)", fixedTime)
	f.add("general", "carol", "*مرحبا* world", fixedTime)
	f.add("general", "dave", strings.Repeat("سلام ", 12)+"پایان", fixedTime)
	s := newTestScreen(80, 24)
	runApp(t, ui.Options{Backend: f, Screen: s, Bidi: true})
	salam := shaped(0xFEE1, 0xFEFC, 0xFEB3) // سلام, drawn left to right
	s.waitText(t, "alice: looks good — "+shaped(0xFE8E, 0xFBFF, 0xFEE7, 0xFEA9)+" "+salam)
	s.waitText(t, "bob: (123) םולש")
	world := "carol: world " + shaped(0xFE8E, 0xFE92, 0xFEA3, 0xFEAE, 0xFEE3)
	s.waitText(t, world)
	x, y, _ := s.find(world)
	if _, _, attr := s.style(x+len([]rune("carol: world ")), y).Decompose(); attr&tcell.AttrBold == 0 {
		t.Fatal("the bold Arabic word is not bold")
	}
	// The long line: its first row ends with the first words (read from
	// the right), its last row holds the last word.
	_, first, ok := s.find("dave: ")
	if !ok {
		t.Fatal(s.text())
	}
	payan := bidi.VisualString("پایان", bidi.RightToLeft)
	if row := strings.TrimSpace(s.row(first)); !strings.HasSuffix(row, " "+salam) || strings.Contains(row, payan) {
		t.Fatalf("first row of the long line: %q", row)
	}
	if row := strings.TrimSpace(s.row(first + 1)); !strings.HasPrefix(row, payan+" "+salam) {
		t.Fatalf("second row of the long line: %q", row)
	}

	// Search results are drawn the same way.
	s.say(t, "/search دنیا", "looks good — "+shaped(0xFE8E, 0xFBFF, 0xFEE7, 0xFEA9))
	// The overlay's title, which holds the query, too.
	s.waitText(t, "for \""+shaped(0xFE8E, 0xFBFF, 0xFEE7, 0xFEA9)+"\"")
}

// Without Bidi (a terminal that does it, or bidi = "off"), the text is
// drawn as it is stored: logical order, letters unjoined.
func TestRightToLeftLeftToTheTerminal(t *testing.T) {
	f := newFakeBackend("me")
	f.add("general", "alice", "سلام دنیا — looks good", fixedTime)
	s := newTestScreen(80, 24)
	runApp(t, ui.Options{Backend: f, Screen: s})
	s.waitText(t, "alice: سلام دنیا — looks good")
}

// The draft is drawn in visual order too, the cursor after the last
// letter typed (at its left, in Persian); what is sent is what was typed.
func TestRightToLeftDraft(t *testing.T) {
	f := newFakeBackend("me")
	s := newTestScreen(60, 12)
	runApp(t, ui.Options{Backend: f, Screen: s, Bidi: true})
	s.waitText(t, "Type a message")
	_, inputY, _ := s.find("Type a message")
	s.typeText("سلام hi", false)
	want := "hi " + bidi.VisualString("سلام", bidi.RightToLeft)
	s.waitFor(t, "the draft in visual order", func(string) bool { return strings.Contains(s.row(inputY), want) })
	x0, _, _ := s.find(want)
	if cx, cy, _ := s.GetCursor(); cy != inputY || cx != x0+2 {
		t.Fatalf("cursor at %d,%d; want it after \"hi\" at %d,%d", cx, cy, x0+2, inputY)
	}
	s.key(tcell.KeyEnter, tcell.ModNone)
	s.waitFor(t, "the message sent", func(string) bool {
		return f.lastDraft().Text == "سلام hi"
	})
}
