package ui_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/themes"
	"github.com/rtchat/rtchat/ui"
)

// inputRow returns the text of the input line (the row above the status bar).
func inputRow(s *testScreen) string { return strings.TrimSpace(s.row(-2)) }

func TestTabCompletesCommandsChannelsAndUsers(t *testing.T) {
	f := conversation()
	s := showFake(t, f, 100, 24)
	s.waitText(t, "● random")
	s.waitText(t, "ops")

	s.typeText("/jo", false)
	s.key(tcell.KeyTab, 0)
	s.waitFor(t, "/join completed", func(string) bool { return strings.HasPrefix(inputRow(s), "/join") })
	s.typeText("o", false)
	s.key(tcell.KeyTab, 0)
	s.waitFor(t, "channel completed", func(string) bool { return inputRow(s) == "/join ops" })
	s.key(tcell.KeyCtrlU, 0) // clear the line
	for range 20 {
		s.key(tcell.KeyBackspace2, 0)
	}
	s.waitFor(t, "empty input", func(string) bool { return strings.HasPrefix(inputRow(s), "Type a message") })
	s.typeText("ca", false)
	s.key(tcell.KeyTab, 0)
	s.waitFor(t, "user completed", func(string) bool { return inputRow(s) == "carol:" })
}

func TestUpRecallsEarlierInputs(t *testing.T) {
	f := conversation()
	s := showFake(t, f, 100, 24)
	s.typeText("first", true)
	s.say(t, "second", "alice: second")
	// Up on the empty input edits the last message first (Slack's
	// habit); Up again goes on to the earlier inputs.
	s.key(tcell.KeyUp, 0)
	s.waitText(t, "editing your last message")
	s.key(tcell.KeyUp, 0)
	s.waitFor(t, "second recalled", func(string) bool { return inputRow(s) == "second" && !strings.Contains(s.text(), "editing your last") })
	s.key(tcell.KeyUp, 0)
	s.waitFor(t, "first recalled", func(string) bool { return inputRow(s) == "first" })
	s.key(tcell.KeyDown, 0)
	s.key(tcell.KeyDown, 0)
	s.waitFor(t, "back to empty", func(string) bool { return strings.HasPrefix(inputRow(s), "Type a message") })

	// Text being typed is kept while earlier inputs are recalled, and
	// Down past the newest brings it back (as a shell does).
	s.typeText("half typed", false)
	s.key(tcell.KeyUp, 0)
	s.waitFor(t, "second recalled over the typed text", func(string) bool { return inputRow(s) == "second" })
	s.key(tcell.KeyDown, 0)
	s.waitFor(t, "the typed text back", func(string) bool { return inputRow(s) == "half typed" })
	s.key(tcell.KeyDown, 0)
	s.waitFor(t, "Down at the newest keeps it", func(string) bool { return inputRow(s) == "half typed" })
}

// With no earlier input, Up and Down leave the text being typed alone.
func TestUpWithoutEarlierInputsKeepsTheText(t *testing.T) {
	f := conversation()
	s := showFake(t, f, 100, 24)
	s.waitText(t, "#general")
	s.typeText("a draft", false)
	s.waitFor(t, "the draft typed", func(string) bool { return inputRow(s) == "a draft" })
	s.key(tcell.KeyUp, 0)
	s.key(tcell.KeyDown, 0)
	s.key(tcell.KeyUp, 0)
	s.typeText("!", false)
	s.waitFor(t, "the draft kept", func(string) bool { return inputRow(s) == "a draft!" })
}

func TestPasteKeepsLinesInOneMessage(t *testing.T) {
	f := conversation()
	s := showFake(t, f, 100, 24)
	// A bracketed paste, as the terminal sends it.
	s.PostEventWait(tcell.NewEventPaste(true))
	s.typeText("line one", true)
	s.typeText("line two", false)
	s.PostEventWait(tcell.NewEventPaste(false))
	s.waitText(t, "line two")
	s.key(tcell.KeyEnter, 0)
	s.waitText(t, "alice: line one")
	f.mu.Lock()
	defer f.mu.Unlock()
	msgs := f.msgs["general"]
	if got := msgs[len(msgs)-1].Text; got != "line one\nline two" {
		t.Fatalf("sent %q, want one message of two lines", got)
	}
}

func TestThemeSwitchAndHotReload(t *testing.T) {
	f := conversation()
	s := newTestScreen(80, 24)
	dir := t.TempDir()
	file := filepath.Join(dir, "mine.toml")
	if err := os.WriteFile(file, []byte("[header]\nbackground = \"#102030\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	th, err := themes.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	runApp(t, ui.Options{Backend: f, Screen: s, Theme: th})
	s.waitText(t, "#general · subscribed")
	headerBg := func() tcell.Color { _, bg, _ := s.style(40, 0).Decompose(); return bg }
	if headerBg() != tcell.NewHexColor(0x102030) {
		t.Fatalf("header background %v", headerBg())
	}
	// Editing the file recolours the running window.
	time.Sleep(10 * time.Millisecond) // a distinct modification time
	if err := os.WriteFile(file, []byte("[header]\nbackground = \"#405060\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(time.Second)
	_ = os.Chtimes(file, now, now)
	s.waitFor(t, "the edited header colour", func(string) bool { return headerBg() == tcell.NewHexColor(0x405060) })
	// A broken edit keeps the colours and says why.
	if err := os.WriteFile(file, []byte("[header]\nbackground = \"#zz\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Second)
	_ = os.Chtimes(file, later, later)
	s.waitText(t, "header.background")
	if headerBg() != tcell.NewHexColor(0x405060) {
		t.Fatal("a bad theme file changed the colours")
	}
	s.typeText("/theme dark", true)
	dark, _ := themes.Load("dark")
	s.waitFor(t, "dark header", func(string) bool { return headerBg() == dark.Header.Background.Color })
	s.say(t, "/theme nosuch", `no theme named "nosuch"`)
}

func TestDeleteAsksFirst(t *testing.T) {
	f := conversation()
	s := showFake(t, f, 100, 24)
	s.say(t, "/delete random", "Delete #random and all its")
	s.key(tcell.KeyEnter, 0) // "No" has the focus
	s.waitFor(t, "dialog closed", func(txt string) bool { return !strings.Contains(txt, "Delete #random") })
	s.say(t, "/whoami", "you are alice")
	if strings.Contains(s.text(), "deleted #random") {
		t.Fatal("No deleted the channel")
	}
	s.say(t, "/delete random", "Delete #random and all its")
	s.key(tcell.KeyTab, 0)
	s.key(tcell.KeyEnter, 0)
	s.waitText(t, "deleted #random")
}

func TestCtrlCQuits(t *testing.T) {
	f := conversation()
	s := newTestScreen(80, 24)
	_, done, _ := runApp(t, ui.Options{Backend: f, Screen: s})
	s.waitText(t, "#general · subscribed")
	s.key(tcell.KeyCtrlC, 0)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Ctrl+C did not end the App")
	}
}

func TestMouseWheelScrollsAndMouseOff(t *testing.T) {
	f := newFakeBackend("alice")
	f.mine = []string{"general"}
	for i := range 100 {
		f.add("general", "bob", "line "+strings.Repeat("x", i%3)+itoa3(i), fixedTime)
	}
	s := newTestScreen(80, 24)
	runApp(t, ui.Options{Backend: f, Screen: s, Mouse: true})
	s.waitText(t, "line 99")
	for range 5 {
		s.InjectMouse(40, 10, tcell.WheelUp, 0)
	}
	s.waitFor(t, "scrolled up", func(txt string) bool { return !strings.Contains(txt, "line 99") })

	f2 := conversation()
	s2 := newTestScreen(80, 24)
	runApp(t, ui.Options{Backend: f2, Screen: s2, Mouse: false})
	s2.waitText(t, "● random")
	x, y, _ := s2.find("● random")
	s2.click(x+2, y)
	// A barrier: events are handled in order, so once a key typed after
	// the click shows, the click has been handled (and done nothing).
	s2.typeText("z", false)
	s2.waitFor(t, "the key after the click", func(string) bool { return inputRow(s2) == "z" })
	if strings.Contains(s2.text(), "#random · subscribed") {
		t.Fatal("a click switched channels with the mouse off")
	}
}

func itoa3(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }

// Alt+Enter makes a new line also under tmux, which sends ESC CR (tcell:
// Alt+Ctrl+M), and the grown input shows every line from the first.
func TestNewLineKeys(t *testing.T) {
	f := conversation()
	s := showFake(t, f, 100, 24)
	s.typeText("one", false)
	s.InjectKey(tcell.KeyRune, 'm', tcell.ModAlt|tcell.ModCtrl) // tmux's Alt+Enter
	s.typeText("two", false)
	s.InjectKey(tcell.KeyEnter, 0, tcell.ModShift)
	s.typeText("three", false)
	s.waitFor(t, "three lines in the input", func(string) bool {
		return strings.TrimSpace(s.row(-4)) == "one" && strings.TrimSpace(s.row(-3)) == "two" && inputRow(s) == "three"
	})
	s.key(tcell.KeyEnter, 0)
	s.waitText(t, "alice: one")
	if f.lastText() != "one\ntwo\nthree" {
		t.Fatalf("sent %q", f.lastText())
	}
}

// Up on an empty input edits your last message (Slack); s/old/new/
// corrects it (IRC, senpai); a correction of nothing says so and keeps
// the input.
func TestEditLastAndSubstitute(t *testing.T) {
	f := conversation()
	s := showFake(t, f, 100, 24)
	s.say(t, "the deploy is at noon", "alice: the deploy is at noon")
	// Up takes the last message stored: until the send is confirmed (a
	// moment, longer on a loaded machine) that is the one before.
	s.key(tcell.KeyUp, 0)
	s.waitText(t, "editing your last message")
	s.waitFor(t, "the text to edit", func(string) bool {
		if row := inputRow(s); row != "the deploy is at noon" {
			if row != "" {
				s.key(tcell.KeyEscape, 0)
				s.key(tcell.KeyUp, 0)
			}
			return false
		}
		return true
	})
	s.key(tcell.KeyEscape, 0)
	s.typeText("s/noon/one/", true)
	s.waitFor(t, "the correction sent", func(string) bool { return f.lastDraft().Kind == chat.KindEdit })
	if d := f.lastDraft(); d.Text != "the deploy is at one" || d.Channel != "general" {
		t.Fatalf("correction sent as %+v", d)
	}
	s.typeText("s/tea/coffee/", true)
	s.waitText(t, `"tea" is not in your last message`)
	if inputRow(s) != "s/tea/coffee/" {
		t.Fatalf("the input lost the correction: %q", inputRow(s))
	}
}
