package ui_test

import (
	"context"
	"encoding/base64"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/redistest"
	"github.com/rtchat/rtchat/internal/testio"
	"github.com/rtchat/rtchat/themes"
	"github.com/rtchat/rtchat/ui"
)

// osc52 is the sequence that puts text on the clipboard.
func osc52(text string) string {
	return "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(text)) + "\x07"
}

// rowOf returns the screen row holding sub, or -1.
func (w *window) rowOf(sub string) int {
	_, y, ok := w.find(sub)
	if !ok {
		return -1
	}
	return y
}

// selectedRow reports whether the row holding sub is drawn highlighted.
func (w *window) selectedRow(sub string) bool {
	x, y, ok := w.find(sub)
	if !ok {
		return false
	}
	_, _, attr := w.style(x, y).Decompose()
	return attr&tcell.AttrReverse != 0
}

func (w *window) press(keys string) {
	for _, r := range keys {
		w.InjectKey(tcell.KeyRune, r, tcell.ModNone)
	}
}

func (w *window) altS() { w.InjectKey(tcell.KeyRune, 's', tcell.ModAlt) }

func TestSelectAndActOnMessages(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	bob := startClient(t, rdb, "bob", signed)
	chattest.Drain(bob)
	cb := &testio.Buffer{}
	var opened []string
	var mu sync.Mutex
	w := openWindow(t, rdb, "alice", ui.Options{Mouse: true, Terminal: cb, OpenURL: func(u string) error {
		mu.Lock()
		defer mu.Unlock()
		opened = append(opened, u)
		return nil
	}}, signed)
	w.waitText(t, "#general · subscribed · connected")
	redistest.WaitSubscribers(t, rdb, chat.DefaultKeys().Topic("general"), 1)
	text := "hello *world*, see https://example.com/x?a=1 and `make`"
	send(t, bob, "general", text)
	w.waitText(t, "bob: hello world, see https://example.com/x?a=1 and make")

	// Select it with the key; copy it and its link.
	w.altS()
	w.waitFor(t, "the selection", func(string) bool { return w.selectedRow("bob: hello world") })
	w.waitText(t, "message: r reply")
	w.press("c")
	w.waitText(t, "copied the message")
	if got := cb.String(); got != osc52(text) {
		t.Fatalf("clipboard got %q, want %q", got, osc52(text))
	}
	w.press("l")
	w.waitText(t, "copied the link")
	if got := cb.String(); !strings.HasSuffix(got, osc52("https://example.com/x?a=1")) {
		t.Fatalf("clipboard got %q", got)
	}
	w.press("o")
	w.waitText(t, "opened https://example.com/x?a=1")

	// React with a shortcode completed by Tab.
	w.press("+")
	w.waitText(t, "reacting to bob: hello")
	w.typeText(":+", false)
	w.key(tcell.KeyTab, tcell.ModNone)
	w.key(tcell.KeyEnter, tcell.ModNone)
	w.waitText(t, "👍 1")

	// Not alice's: no edit, no delete (and no question first).
	w.altS()
	w.press("e")
	w.waitText(t, "only its author can edit a message; this one is bob's")
	w.press("d")
	w.waitText(t, "only its author can delete a message; this one is bob's")
	if strings.Contains(w.text(), "Delete your message for everyone?") {
		t.Fatal("asked to delete someone else's message")
	}
	w.key(tcell.KeyEscape, tcell.ModNone)

	// Reply: the quote goes above, and Enter on the reply jumps back.
	w.altS()
	w.press("r")
	w.waitText(t, "replying to bob: hello")
	w.say(t, "an answer", "alice: an answer")
	w.waitText(t, "↪ bob: hello *world*")
	if w.rowOf("↪ bob:") != w.rowOf("alice: an answer")-1 {
		t.Fatalf("the quote is not right above the reply:\n%s", w.text())
	}
	w.altS()
	w.waitFor(t, "the reply selected", func(string) bool { return w.selectedRow("alice: an answer") })
	w.key(tcell.KeyEnter, tcell.ModNone)
	w.waitFor(t, "the jump to the quoted message", func(string) bool { return w.selectedRow("bob: hello world") })
	w.key(tcell.KeyEscape, tcell.ModNone)

	// Edit and delete one's own.
	w.say(t, "a tpyo", "alice: a tpyo")
	w.waitFor(t, "it to be stored", func(s string) bool { return !strings.Contains(s, "unsent") })
	w.altS()
	w.press("e")
	w.waitText(t, "editing your message")
	for range len("a tpyo") {
		w.key(tcell.KeyBackspace2, tcell.ModNone)
	}
	w.say(t, "a typo, mended", "alice: a typo, mended (edited)")
	w.altS()
	w.press("d")
	w.waitText(t, "Delete your message for everyone?")
	// n answers No; the dialog wears the theme's colours.
	x, y, _ := w.find("Delete your")
	if bg, _, _ := w.style(x, y).Decompose(); bg != themes.Default().Header.Background.Color {
		t.Errorf("the dialog's background is %v, not the theme's %v", bg, themes.Default().Header.Background.Color)
	}
	w.press("n")
	w.waitFor(t, "the dialog to close", func(s string) bool { return !strings.Contains(s, "Delete your") })
	if !strings.Contains(w.text(), "alice: a typo, mended (edited)") {
		t.Fatalf("n deleted the message:\n%s", w.text())
	}
	w.altS()
	w.press("d")
	w.waitText(t, "Delete your message for everyone?")
	w.press("y")
	w.waitText(t, "alice: message deleted")

	// Up/Down move between messages; a click selects too.
	w.altS()
	w.key(tcell.KeyUp, tcell.ModNone)
	w.waitFor(t, "up", func(string) bool { return w.selectedRow("alice: an answer") })
	w.press("k")
	w.waitFor(t, "up again", func(string) bool { return w.selectedRow("bob: hello world") })
	w.key(tcell.KeyEscape, tcell.ModNone)
	w.waitFor(t, "Esc to leave", func(string) bool { return !w.selectedRow("bob: hello world") })
	x, y, _ = w.find("alice: an answer")
	w.click(x+3, y)
	w.waitFor(t, "the click to select", func(string) bool { return w.selectedRow("alice: an answer") })
	mu.Lock()
	defer mu.Unlock()
	if len(opened) != 1 || opened[0] != "https://example.com/x?a=1" {
		t.Fatalf("opened %v", opened)
	}
}

// TestStructureInTwoWindows: what one window does shows in the other,
// live and after a restart; another user's edit of a message is ignored.
func TestStructureInTwoWindows(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	alice := openWindow(t, srv.Client(t), "alice", ui.Options{}, signed)
	bob := openWindow(t, srv.Client(t), "bob", ui.Options{}, signed)
	alice.waitText(t, "#general · subscribed · connected")
	bob.waitText(t, "#general · subscribed · connected")
	redistest.WaitSubscribers(t, rdb, chat.DefaultKeys().Topic("general"), 2)
	alice.typeText("plans for today", true)
	bob.waitText(t, "alice: plans for today")
	bob.altS()
	bob.press("+")
	bob.typeText("🎉", true)
	alice.waitText(t, "🎉 1")
	alice.altS()
	alice.press("e")
	alice.key(tcell.KeyEnd, tcell.ModNone)
	alice.typeText(" and tomorrow", true)
	bob.waitText(t, "alice: plans for today and tomorrow (edited)")

	// Someone writes an edit of alice's message under bob's name.
	ctx := context.Background()
	xs, _ := rdb.XRange(ctx, chat.DefaultKeys().Stream("general"), "-", "+").Result()
	redistest.XAdd(t, rdb, chat.DefaultKeys().Stream("general"), "user", "bob", "text", "HIJACKED", "ts", "1", "mid", "x", "channel_id", "1", "kind", "edit", "ref", xs[0].ID)
	bob.typeText("a marker", true)
	alice.waitText(t, "bob: a marker")
	if strings.Contains(alice.text(), "HIJACKED") || strings.Contains(bob.text(), "HIJACKED") {
		t.Fatalf("a foreign edit shows:\n%s", alice.text())
	}

	// After a restart: the same.
	alice.stop()
	again := openWindow(t, srv.Client(t), "alice", ui.Options{}, signed)
	again.waitText(t, "alice: plans for today and tomorrow (edited)")
	again.waitText(t, "🎉 1")
	if strings.Contains(again.text(), "HIJACKED") || strings.Contains(again.text(), "⚠ alice") {
		t.Fatalf("after a restart:\n%s", again.text())
	}
}

func TestThreadPane(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	bob := startClient(t, rdb, "bob", signed)
	chattest.Drain(bob)
	w := openWindowSized(t, 160, 30, rdb, "alice", ui.Options{}, signed)
	w.waitText(t, "#general · subscribed · connected")
	redistest.WaitSubscribers(t, rdb, chat.DefaultKeys().Topic("general"), 1)
	w.say(t, "shall we ship it?", "alice: shall we ship it?")
	w.waitFor(t, "it to be stored", func(s string) bool { return !strings.Contains(s, "unsent") })
	root := lastID(t, rdb, "general")

	// A reply in alice's thread while she is away from it counts.
	if _, err := bob.Broadcast(context.Background(), chat.Draft{Channel: "general", Text: "yes, after lunch", Thread: root}); err != nil {
		t.Fatal(err)
	}
	w.waitText(t, "1 reply · last")
	w.waitText(t, "1 new in threads")
	w.waitText(t, "· 1 new")
	if strings.Contains(w.text(), "yes, after lunch") {
		t.Fatalf("a thread reply shows in the channel:\n%s", w.text())
	}

	// Open it: the root, the reply; reply there; a live reply arrives.
	w.altS()
	w.press("t")
	w.waitText(t, "thread · Esc closes")
	w.waitText(t, "bob: yes, after lunch")
	w.waitFor(t, "the count to clear", func(s string) bool { return !strings.Contains(s, "new in threads") })
	w.say(t, "great", "alice: great")
	w.waitText(t, "2 replies · last")
	if _, err := bob.Broadcast(context.Background(), chat.Draft{Channel: "general", Text: "see you then", Thread: root}); err != nil {
		t.Fatal(err)
	}
	w.waitText(t, "bob: see you then")
	w.waitText(t, "3 replies · last")
	if strings.Contains(w.text(), "new in threads") {
		t.Fatalf("a reply counts while its thread is open:\n%s", w.text())
	}
	w.key(tcell.KeyEscape, tcell.ModNone)
	w.waitFor(t, "the pane to close", func(s string) bool { return !strings.Contains(s, "thread · Esc closes") })
}

// lastID is the newest entry of channel's stream.
func lastID(t *testing.T, rdb redis.UniversalClient, channel string) chat.ID {
	t.Helper()
	xs, err := rdb.XRevRangeN(context.Background(), chat.DefaultKeys().Stream(channel), "+", "-", 1).Result()
	if err != nil || len(xs) == 0 {
		t.Fatalf("no entry: %v", err)
	}
	id, err := chat.ParseID(xs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestRichTextAndHostileStructure: code, emphasis and links are drawn in
// their styles with the markers gone; nothing in a reaction, an edit or a
// quote reaches the terminal as an escape.
func TestRichTextAndHostileStructure(t *testing.T) {
	f := conversation()
	m := f.add("general", "bob", "run `make test`, then *ship* it: https://example.com/a\n```\nfunc main() {}\n```", fixedTime)
	m.State = &chat.MessageState{Reactions: map[string][]string{"\x1b[31mX": {"mallory"}, "👍": {"alice"}}}
	f.mu.Lock()
	f.msgs["general"][len(f.msgs["general"])-1] = m
	f.mu.Unlock()
	q := chat.Message{User: "eve\x1b]0;pwned\x07", Text: "\x1b[2Jboom"}
	f.add("general", "carol", "replying", fixedTime.Add(time.Minute))
	f.mu.Lock()
	last := &f.msgs["general"][len(f.msgs["general"])-1]
	last.ReplyTo, last.Quote = chat.ID{MS: 1}, &q
	f.mu.Unlock()
	s := newTestScreen(100, 30)
	runApp(t, ui.Options{Backend: f, Screen: s})
	s.waitText(t, "bob: run make test, then ship it: https://example.com/a")
	s.waitText(t, "func main() {}")
	if strings.Contains(s.text(), "```") || strings.Contains(s.text(), "`make") || strings.Contains(s.text(), "*ship*") {
		t.Fatalf("markers drawn:\n%s", s.text())
	}
	style := func(sub string, at int) tcell.Style {
		x, y, ok := s.find(sub)
		if !ok {
			t.Fatalf("no %q:\n%s", sub, s.text())
		}
		return s.style(x+at, y)
	}
	if _, _, attr := style("ship it", 0).Decompose(); attr&tcell.AttrBold == 0 {
		t.Error("bold is not bold")
	}
	if _, _, attr := style("https://example.com/a", 0).Decompose(); attr&tcell.AttrUnderline == 0 {
		t.Error("the link is not underlined")
	}
	if st := style("https://example.com/a", 0); st == st.Url("") || st != st.Url("https://example.com/a") {
		t.Error("the link carries no hyperlink (OSC 8) to its address")
	}
	if style("make test", 0) == style("run", 0) || style("func main", 0) == style("run", 0) {
		t.Error("code looks like text")
	}
	s.waitText(t, `\x1b[31mX 1`)
	s.waitText(t, `↪ eve\x1b]0;pwned\x07: \x1b[2Jboom`)
}

func TestExternalEditor(t *testing.T) {
	f := conversation()
	s := newTestScreen(100, 30)
	var seen string
	runApp(t, ui.Options{Backend: f, Screen: s, RunEditor: func(path string) error {
		b, err := os.ReadFile(path)
		seen = string(b)
		if err != nil {
			return err
		}
		return os.WriteFile(path, []byte("a long message\nwritten at leisure\n"), 0o600)
	}})
	s.waitText(t, "#general · subscribed")
	s.typeText("draft", false)
	s.InjectKey(tcell.KeyRune, 'e', tcell.ModAlt)
	s.waitText(t, "written at leisure")
	if seen != "draft" {
		t.Fatalf("the editor got %q", seen)
	}
	if strings.Contains(s.text(), "alice: a long message") {
		t.Fatal("the editor's text was sent")
	}
}
