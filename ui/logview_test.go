package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/themes"
)

// filledLog returns a channel log of n messages of mixed lengths.
func filledLog(n int) *channelLog {
	l := newChannelLog("bench")
	base := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	msgs := make([]chat.Message, n)
	for i := range msgs {
		text := fmt.Sprintf("message %d: %s", i, strings.Repeat("lorem ipsum dolor ", i%7))
		msgs[i] = chat.Message{ID: chat.ID{MS: uint64(base.Add(time.Duration(i) * time.Second).UnixMilli())}, User: fmt.Sprint("user", i%5), Text: text, Time: base.Add(time.Duration(i) * time.Second)}
	}
	l.prepend(msgs, "user0")
	return l
}

func newTestView(l *channelLog, w, h int) (*logView, tcell.SimulationScreen) {
	screen := tcell.NewSimulationScreen("UTF-8")
	_ = screen.Init()
	screen.SetSize(w, h)
	v := newLogView(newStyles(themes.Default()), func(*channelLog) {}, nil)
	v.SetRect(0, 0, w, h)
	v.SetLog(l)
	return v, screen
}

// TestFrameTouchesOnlyVisibleLines: a frame lays out the lines it shows,
// not the history, so its cost cannot grow with the history loaded.
func TestFrameTouchesOnlyVisibleLines(t *testing.T) {
	for _, n := range []int{1_000, 100_000} {
		l := filledLog(n)
		v, screen := newTestView(l, 80, 24)
		v.Draw(screen)
		v.PageUp()
		v.PageUp()
		v.Draw(screen)
		laidOut := len(l.lays)
		if laidOut > 3*24 {
			t.Fatalf("%d messages: %d lines laid out for a 24-row view", n, laidOut)
		}
	}
}

func TestWrapKeepsEveryByte(t *testing.T) {
	for _, s := range []string{
		"short",
		"a line with words that must wrap at the edge of the view somewhere",
		"averyveryveryverylongwordwithoutanyspacesthatmustbehardwrapped",
		"سلام دنیا این یک پیام طولانی است که باید شکسته شود در چند خط",
		"emoji 👋🏽👨‍👩‍👧☕ wide 漢字漢字漢字漢字漢字漢字漢字漢字",
		"two\nlines\n",
	} {
		for _, w := range []int{5, 10, 23} {
			rows := wrap(s, w)
			var b strings.Builder
			prevEnd := 0
			for i := 0; i < len(rows); i += 2 {
				start, end := int(rows[i]), int(rows[i+1])
				b.WriteString(s[prevEnd:start]) // a newline the wrap consumed
				b.WriteString(s[start:end])
				limit := w
				if i > 0 {
					limit = w - contIndent(w)
				}
				if got := textWidth(strings.TrimRight(s[start:end], " ")); got > limit {
					t.Errorf("wrap(%q, %d) row %q is %d cells wide", s, w, s[start:end], got)
				}
				prevEnd = end
			}
			if b.String() != s && b.String()+"\n" != s {
				t.Errorf("wrap(%q, %d) lost text: %q", s, w, b.String())
			}
		}
	}
}

func TestScrollKeepsViewOnAppendAndPrepend(t *testing.T) {
	l := filledLog(500)
	v, screen := newTestView(l, 80, 24)
	v.Draw(screen)
	v.PageUp()
	anchorLine := l.lines[l.anchor]
	l.addMessage(chat.Message{ID: chat.ID{MS: uint64(time.Now().UnixMilli())}, User: "bob", Text: "new", Time: time.Now()}, "me")
	if l.lines[l.anchor] != anchorLine || l.newCount != 1 {
		t.Fatal("an append moved the scrolled-up view")
	}
	l.prepend([]chat.Message{{ID: chat.ID{MS: 1}, User: "old", Text: "older"}}, "me")
	if l.lines[l.anchor] != anchorLine {
		t.Fatal("a prepend moved the view")
	}
	v.Live()
	if !l.follow || l.newCount != 0 {
		t.Fatal("Live did not return to the newest line")
	}
}

func BenchmarkLogFrame(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		for _, size := range [][2]int{{80, 24}, {200, 60}} {
			l := filledLog(n)
			v, screen := newTestView(l, size[0], size[1])
			v.Draw(screen)
			b.Run(fmt.Sprintf("draw/%dk/%dx%d", n/1000, size[0], size[1]), func(b *testing.B) {
				for b.Loop() {
					v.Draw(screen)
					screen.Show()
				}
			})
			b.Run(fmt.Sprintf("append+draw/%dk/%dx%d", n/1000, size[0], size[1]), func(b *testing.B) {
				i := 0
				for b.Loop() {
					i++
					l.addMessage(chat.Message{ID: chat.ID{MS: uint64(time.Now().UnixMilli()), Seq: uint64(i)}, User: "bob", Text: "a new message", Time: time.Now()}, "me")
					v.Draw(screen)
					screen.Show()
				}
			})
		}
	}
}

func BenchmarkSanitize(b *testing.B) {
	s := "[red]hello[-] world \x1b[2J سلام 👋 " + strings.Repeat("plain text ", 10)
	for b.Loop() {
		_ = escape(s)
	}
}

func BenchmarkWrap(b *testing.B) {
	s := strings.Repeat("lorem ipsum dolor sit amet ", 20)
	for b.Loop() {
		_ = wrap(s, 80)
	}
}

// TestNewSinceMarker: the marker goes above the first unread message of
// another user, moves when placed again, and the recount after a read
// elsewhere looks at the unread lines only.
func TestNewSinceMarker(t *testing.T) {
	l := filledLog(100_000) // user0 is "me": every fifth message is mine
	n := len(l.lines)
	l.readID = l.lines[n-11].id
	l.unread = 1
	l.markNewSince()
	// Unread: messages n-10…n-1; n-10 is mine, so the marker goes before n-9.
	at := -1
	for i, ln := range l.lines {
		if ln.kind == lineNewSince {
			if at >= 0 {
				t.Fatal("two markers")
			}
			at = i
		}
	}
	if at != n-9 || l.lines[at+1].own {
		t.Fatalf("marker at %d (of %d lines), before %q", at, len(l.lines), l.lines[at+1].text)
	}
	if !l.countUnread() || l.unread != 8 {
		t.Fatalf("recount: %d unread after the marker, want 8 (10 less my 2)", l.unread)
	}
	l.readID = l.lastID()
	l.countUnread()
	l.markNewSince()
	for _, ln := range l.lines {
		if ln.kind == lineNewSince {
			t.Fatal("the marker stayed with nothing unread")
		}
	}
	if len(l.lines) != n {
		t.Fatalf("%d lines, want %d", len(l.lines), n)
	}
}

// TestLogKeepsAtMostMaxLines: a flood cannot grow a channel's log past its
// limit (with a quarter as slack); what goes is older history, which
// loads again on scroll-up, and never the lines a scrolled-up view shows.
func TestLogKeepsAtMostMaxLines(t *testing.T) {
	l := newChannelLog("flood")
	l.maxLines = 1000
	base := uint64(time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC).UnixMilli())
	msg := func(i int) chat.Message {
		return chat.Message{ID: chat.ID{MS: base + uint64(i)}, User: "bot", Text: fmt.Sprint("flood ", i)}
	}
	for i := range 100_000 {
		l.addMessage(msg(i), "me")
		if len(l.lines) > 1250 {
			t.Fatalf("%d lines after %d messages", len(l.lines), i+1)
		}
	}
	if !l.more || l.lines[len(l.lines)-1].text != "flood 99999" {
		t.Fatal("the newest lines went, or scrolling up would not reload the old ones")
	}
	// Scrolled up, the view stays on its line while a few thousand
	// arrive; a flood beyond that takes it back to live, and memory stays
	// bounded.
	v, screen := newTestView(l, 80, 24)
	v.Draw(screen)
	v.PageUp()
	anchored := l.lines[l.anchor].text
	for i := 100_000; i < 102_000; i++ {
		l.addMessage(msg(i), "me")
	}
	if l.follow || l.lines[l.anchor].text != anchored {
		t.Fatalf("the view moved from %q to %q", anchored, l.lines[l.anchor].text)
	}
	for i := 102_000; i < 200_000; i++ {
		l.addMessage(msg(i), "me")
		if len(l.lines) > 4*1000+1 {
			t.Fatalf("%d lines while scrolled up", len(l.lines))
		}
	}
	if !l.follow || len(l.lines) > 1250 {
		t.Fatalf("follow %v, %d lines after the flood", l.follow, len(l.lines))
	}
}

// A hook's message with a name of its own is cut so that the hook's name
// stays: the long tail, the short one, then the hook's own name alone.
func TestFitAuthor(t *testing.T) {
	hook := chat.HookAuthor("alertmanager")
	for _, c := range []struct {
		user, as string
		col      int
		want     string
	}{
		{"alice", "", 12, "alice"},
		{hook, "Prometheus", 60, "BOT Prometheus (via hook alertmanager)"},
		{hook, "Prometheus", 33, "BOT Prom… (via hook alertmanager)"},
		{hook, "Prometheus", 24, "BOT Prom… (alertmanager)"},
		{hook, "Prometheus", 20, "BOT alertmanager (v…"},
		{hook, "", 20, "BOT alertmanager (v…"},
		{chat.HookAuthor("ci"), "🚨 Alertmanager", 22, "BOT 🚨 … (via hook ci)"},
	} {
		if got := fitAuthor(c.user, c.as, c.col); got != c.want || textWidth(got) > c.col {
			t.Errorf("fitAuthor(%q, %q, %d) = %q (%d cells), want %q", c.user, c.as, c.col, got, textWidth(got), c.want)
		}
	}
}
