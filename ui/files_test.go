package ui_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/picture"
	"github.com/rtchat/rtchat/internal/testio"
	"github.com/rtchat/rtchat/ui"
)

func showFiles(t *testing.T, f *fakeBackend, dl string, w, h int) *testScreen {
	t.Helper()
	s := newTestScreen(w, h)
	runApp(t, ui.Options{Backend: f, Screen: s, DownloadDir: dl, Images: "auto"})
	s.waitText(t, "#general · subscribed")
	return s
}

func redSquare(t *testing.T, n int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	for y := range n {
		for x := range n {
			img.Set(x, y, color.RGBA{255, 0, 0, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// selectLast selects the newest message (Alt+S), a file's: the status
// bar says the file's keys.
func selectLast(t *testing.T, s *testScreen) {
	t.Helper()
	s.InjectKey(tcell.KeyRune, 's', tcell.ModAlt)
	s.waitText(t, "file: s save · o open · v view")
}

// A file shows as its line; a picture is drawn under it in half-blocks
// of its colours; a file that says it is a picture but is none stays a
// line that says so.
func TestFileLineAndPicture(t *testing.T) {
	f := newFakeBackend("me")
	f.addFile("general", "alice", "build.log", "text/plain; charset=utf-8", []byte(strings.Repeat("log line\n", 5000)), fixedTime)
	f.addFile("general", "bob", "fake.png", "image/png", []byte("not a png at all"), fixedTime)
	f.addFile("general", "carol", "red.png", "image/png", redSquare(t, 64), fixedTime)
	s := showFiles(t, f, t.TempDir(), 100, 40)
	s.waitText(t, "📎 build.log · 44 KiB · text/plain")
	s.waitText(t, "📎 fake.png · 16 B · image/png · not a picture")
	s.waitText(t, "📎 red.png")
	s.waitFor(t, "the picture drawn", func(string) bool {
		x, y, ok := s.find("📎 red.png")
		if !ok {
			return false
		}
		r := s.row(y + 1)
		if !strings.Contains(r, "▀▀▀▀") {
			return false
		}
		fg, bg, _ := s.style(x+1, y+1).Decompose()
		return fg == tcell.NewRGBColor(255, 0, 0) && bg == tcell.NewRGBColor(255, 0, 0)
	})
	// 64 × 64 pixels fit in 10 rows: 20 pixels high, 20 wide.
	_, y, _ := s.find("📎 red.png")
	if got := strings.Count(s.row(y+10), "▀"); got != 20 {
		t.Errorf("the picture's last row has %d cells: %q", got, s.row(y+10))
	}
}

// A picture whose message carries its sender's preview is drawn from
// it, without fetching the file (here no longer stored at all).
func TestPictureFromPreview(t *testing.T) {
	f := newFakeBackend("me")
	photo := redSquare(t, 400)
	m := f.addFile("general", "carol", "photo.png", "image/png", photo, fixedTime)
	preview, err := picture.Preview(photo)
	if err != nil {
		t.Fatal(err)
	}
	m.File.Preview = preview
	f.mu.Lock()
	delete(f.files, m.File.ID)
	f.mu.Unlock()
	s := showFiles(t, f, t.TempDir(), 100, 40)
	s.waitFor(t, "the picture drawn from its preview", func(string) bool {
		x, y, ok := s.find("📎 photo.png")
		if !ok || !strings.Contains(s.row(y+1), "▀▀▀▀") {
			return false
		}
		fg, _, _ := s.style(x+1, y+1).Decompose()
		r, g, b := fg.RGB()
		return r > 240 && g < 16 && b < 16 // JPEG keeps red nearly red
	})
	if strings.Contains(s.text(), "no longer stored") {
		t.Fatalf("the file was fetched:\n%s", s.text())
	}
}

// Where the terminal speaks kitty's graphics protocol, a picture wholly
// in view is sent once and placed over its thumbnail's cells (after the
// frame, from where the cursor is kept); an overlay takes it away, and
// closing it puts it back without sending the pixels again.
func TestPictureWithKittyGraphics(t *testing.T) {
	f := newFakeBackend("me")
	f.addFile("general", "carol", "red.png", "image/png", redSquare(t, 64), fixedTime)
	var out testio.Buffer
	s := newTestScreen(100, 40)
	runApp(t, ui.Options{Backend: f, Screen: s, Images: "auto",
		Graphics: ui.Graphics{Protocol: "kitty", CellWidth: 10, CellHeight: 20, Out: &out}})
	s.waitText(t, "#general · subscribed")
	var x, y int
	s.waitFor(t, "the picture placed with kitty's protocol", func(string) bool {
		var ok bool
		x, y, ok = s.find("📎 red.png")
		return ok && strings.Contains(out.String(), "a=p,i=1,c=20,r=10,C=1")
	})
	// The thumbnail's first cell is under the file line's, one row down.
	at := regexp.MustCompile(fmt.Sprintf(`\x1b\[%d;%dH(\x1b_G[^\x1b]*\x1b\\)*\x1b_Ga=p,i=1,`, y+2, x+1))
	if !at.MatchString(out.String()) {
		t.Fatalf("the picture is not placed at row %d, column %d: %q", y+2, x+1, out.String())
	}
	if !strings.HasPrefix(out.String(), "\x1b7") || !strings.HasSuffix(out.String(), "\x1b8") {
		t.Errorf("the cursor is not kept around the pictures: %q", out.String())
	}
	if n := strings.Count(out.String(), "a=t,f=100"); n != 1 {
		t.Fatalf("the pixels were sent %d times", n)
	}
	before := len(out.String())
	s.InjectKey(tcell.KeyF1, 0, tcell.ModNone) // the help overlay
	s.waitFor(t, "the picture taken away under the overlay", func(string) bool {
		after := out.String()[before:]
		return strings.Contains(after, "a=d,d=a") && !strings.Contains(after, "a=p")
	})
	before = len(out.String())
	s.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
	s.waitFor(t, "the picture back", func(string) bool {
		return strings.Contains(out.String()[before:], "a=p,i=1,")
	})
	if n := strings.Count(out.String(), "a=t,f=100"); n != 1 {
		t.Errorf("the pixels were sent %d times", n)
	}
}

// With sixel, the picture is painted into its cells, which tcell then
// leaves alone until the picture moves.
func TestPictureWithSixel(t *testing.T) {
	f := newFakeBackend("me")
	f.addFile("general", "carol", "red.png", "image/png", redSquare(t, 64), fixedTime)
	var out testio.Buffer
	s := newTestScreen(100, 40)
	runApp(t, ui.Options{Backend: f, Screen: s, Images: "sixel",
		Graphics: ui.Graphics{Protocol: "sixel", CellWidth: 10, CellHeight: 20, Out: &out}})
	s.waitFor(t, "the picture painted in sixel", func(string) bool {
		return strings.Contains(out.String(), "\x1bP0;1;0q\"1;1;200;200")
	})
}

// images = "off" draws no picture.
func TestPicturesOff(t *testing.T) {
	f := newFakeBackend("me")
	f.addFile("general", "carol", "red.png", "image/png", redSquare(t, 8), fixedTime)
	s := newTestScreen(80, 24)
	runApp(t, ui.Options{Backend: f, Screen: s, Images: "off"})
	s.waitText(t, "📎 red.png · ")
	// A later message drawn means the picture's turn has passed.
	f.events <- chat.MessageEvent{Message: f.add("general", "bob", "after the picture", fixedTime)}
	s.waitText(t, "after the picture")
	if strings.Contains(s.text(), "▀") {
		t.Fatalf("a picture was drawn:\n%s", s.text())
	}
}

// s saves the selected file in the download folder, never over a file
// there; changed bytes are refused with ⚠ and nothing is saved.
func TestSaveFileKey(t *testing.T) {
	f := newFakeBackend("me")
	data := []byte("report body")
	f.addFile("general", "alice", "../../report.txt", "text/plain", data, fixedTime)
	dl := t.TempDir()
	s := showFiles(t, f, dl, 100, 30)
	s.waitText(t, "📎 ../../report.txt")
	selectLast(t, s)
	s.InjectKey(tcell.KeyRune, 's', 0)
	s.waitText(t, "saved "+filepath.Join(dl, "report.txt"))
	s.InjectKey(tcell.KeyRune, 's', 0)
	s.waitText(t, "saved "+filepath.Join(dl, "report (1).txt"))
	for _, n := range []string{"report.txt", "report (1).txt"} {
		if got, err := os.ReadFile(filepath.Join(dl, n)); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s: %q %v", n, got, err)
		}
	}
	m := f.msgs["general"][len(f.msgs["general"])-1]
	f.corruptFile(m.File.ID)
	s.InjectKey(tcell.KeyRune, 's', 0)
	s.waitText(t, "⚠ its bytes do not match")
	if entries, _ := os.ReadDir(dl); len(entries) != 2 {
		t.Fatalf("the folder holds %d files", len(entries))
	}
}

// v shows a text file in a pager, escaped: no terminal sequence of the
// file's reaches the screen.
func TestViewTextFile(t *testing.T) {
	f := newFakeBackend("me")
	f.addFile("general", "alice", "evil\x1b[2J.txt", "text/plain", []byte("first line\n\x1b[31mred\x1b[0m and [yellow]tag[-]\n\u202Ereversed"), fixedTime)
	s := showFiles(t, f, t.TempDir(), 100, 30)
	s.waitText(t, "📎 evil")
	if strings.Contains(s.text(), "\x1b") {
		t.Fatal("the file name reached the screen unescaped")
	}
	selectLast(t, s)
	s.InjectKey(tcell.KeyRune, 'v', 0)
	s.waitText(t, "first line")
	s.waitText(t, "[yellow]tag[-]")
	if txt := s.text(); strings.ContainsAny(txt, "\x1b\u202E") {
		t.Fatalf("the pager drew control characters:\n%q", txt)
	}
	s.key(tcell.KeyEscape, 0)
	s.waitFor(t, "the pager closed", func(txt string) bool { return !strings.Contains(txt, "first line") })
}

// /upload sends a file (~ and Tab complete the path); one over the limit
// is refused in one line before anything is sent.
func TestUploadCommand(t *testing.T) {
	f := newFakeBackend("me")
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	if err := os.WriteFile(filepath.Join(dir, "notes-for-you.txt"), []byte("hello file"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := showFiles(t, f, t.TempDir(), 100, 30)
	s.typeText("/upload ~/notes-f", false)
	s.key(tcell.KeyTab, 0)
	s.waitText(t, "/upload ~/notes-for-you.txt")
	s.typeText(" my caption", true)
	s.waitText(t, "me: my caption")
	s.waitText(t, "📎 notes-for-you.txt · 10 B · text/plain")
	f.mu.Lock()
	sent := f.sentFiles
	f.mu.Unlock()
	if len(sent) != 1 || f.files[sent[0].File.ID] == nil || string(f.files[sent[0].File.ID]) != "hello file" {
		t.Fatalf("sent %+v", sent)
	}
	s.typeText("/upload ~/nothing-here.txt", true)
	s.waitText(t, "no file ~/nothing-here.txt to send")
	big := filepath.Join(dir, "big.bin")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, chat.DefaultMaxFileBytes+1); err != nil {
		t.Fatal(err)
	}
	s.typeText("/upload "+big, true)
	s.waitText(t, "it is 26214401 bytes, and files may be 26214400")
}

// asked waits for the question whether to send the dropped file.
func asked(t *testing.T, s *testScreen) {
	t.Helper()
	s.waitFor(t, "the question", func(txt string) bool {
		return strings.Contains(txt, "Send the file my") && strings.Contains(txt, "(7\u00a0B)")
	})
}

// A path pasted alone (as a terminal pastes a file dropped on it) asks
// whether to send the file; n keeps the text, y sends it.
func TestDroppedPathAsks(t *testing.T) {
	f := newFakeBackend("me")
	dir := t.TempDir()
	path := filepath.Join(dir, "my report.txt")
	if err := os.WriteFile(path, []byte("dropped"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := showFiles(t, f, t.TempDir(), 100, 30)
	dropped := "'" + path + "'"
	s.typeText(dropped, true)
	asked(t, s)
	s.InjectKey(tcell.KeyRune, 'n', 0)
	s.waitFor(t, "the question gone, the text kept", func(txt string) bool {
		return !strings.Contains(txt, "Send the file") && strings.Contains(txt, dropped)
	})
	s.key(tcell.KeyEnter, 0)
	asked(t, s)
	s.InjectKey(tcell.KeyRune, 'y', 0)
	s.waitText(t, "📎 my report.txt · 7 B")
	f.mu.Lock()
	n := len(f.sentFiles)
	f.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d files sent", n)
	}
	// A path that names no file is a message like any.
	s.typeText("/no/such/file.txt", true)
	s.waitText(t, "unknown command")
}

// o opens the selected file with the desktop's opener: a checked copy in
// the cache folder, fetched once.
func TestOpenFileKey(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	f := newFakeBackend("me")
	f.addFile("general", "alice", "slides.pdf", "application/pdf", []byte("%PDF-1.7 slides"), fixedTime)
	opened := make(chan string, 2)
	s := newTestScreen(100, 30)
	runApp(t, ui.Options{Backend: f, Screen: s, OpenURL: func(p string) error { opened <- p; return nil }})
	s.waitText(t, "📎 slides.pdf")
	selectLast(t, s)
	var first string
	for i := range 2 {
		s.InjectKey(tcell.KeyRune, 'o', 0)
		select {
		case p := <-opened:
			if got, err := os.ReadFile(p); err != nil || string(got) != "%PDF-1.7 slides" || filepath.Base(p) != "slides.pdf" {
				t.Fatalf("opened %s: %q %v", p, got, err)
			}
			if i == 1 && p != first {
				t.Fatalf("the second open fetched again: %s, then %s", first, p)
			}
			first = p
		case <-time.After(10 * time.Second):
			t.Fatal("nothing was opened")
		}
	}
}

// A hook's or a bot account's message is drawn as a bot's, never a
// person's: "BOT ci (via hook)", "BOT deploybot"; a name a hook gave one
// message stands beside the hook's, and when the column is too narrow
// for both, the hook's stays whole.
func TestHookMessageShownAsBot(t *testing.T) {
	f := newFakeBackend("me")
	f.add("general", chat.HookAuthor("ci"), "build *green*", fixedTime)
	f.add("general", chat.BotAuthor("deploybot"), "deployed v1.2", fixedTime)
	named := func(as, text string) {
		m := f.add("general", chat.HookAuthor("ci"), text, fixedTime)
		f.mu.Lock()
		defer f.mu.Unlock()
		for i := range f.msgs["general"] {
			if f.msgs["general"][i].ID == m.ID {
				f.msgs["general"][i].As = as
			}
		}
	}
	named("me", "as me")
	named("🚨 Alertmanager of the production cluster", "firing")
	f.add("general", chat.HookAuthor("alertmanager"), "from its own", fixedTime)
	f.add("general", chat.HookAuthor("alertmanager"), "given", fixedTime)
	f.mu.Lock()
	f.msgs["general"][len(f.msgs["general"])-1].As = "Prometheus"
	f.mu.Unlock()
	s := newTestScreen(140, 24) // a name column of 24 cells
	runApp(t, ui.Options{Backend: f, Screen: s})
	s.waitText(t, "BOT ci (via hook): build green")
	s.waitText(t, "BOT deploybot: deployed v1.2")
	s.waitText(t, "BOT me (via hook ci): as me")
	s.waitText(t, "BOT 🚨 Al… (via hook ci): firing")
	// A long hook name: the shorter tail; its own message is cut as ever.
	s.waitText(t, "BOT Prom… (alertmanager): given")
	s.waitText(t, "BOT alertmanager (via h…: from its own")
}
