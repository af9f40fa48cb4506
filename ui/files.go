package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/picture"
)

// Files sends and fetches files (package chat keeps their bytes in
// Redis beside the conversation).
type Files interface {
	// SendFile stores a file's bytes, then sends the message that
	// carries it.
	SendFile(ctx context.Context, up chat.Upload) (chat.Sent, error)
	// FetchFile writes the bytes of m's file to w, checked against its
	// SHA-256 (chat.ErrFileMismatch when they differ).
	FetchFile(ctx context.Context, conv string, m chat.Message, w io.Writer, progress func(done, total int64)) error
	// MaxFileBytes is the file size limit.
	MaxFileBytes() int64
}

// pagerBytes is how much of a text file the pager shows.
const pagerBytes = 64 << 10

// transfers is the window's part that moves files: one upload or
// download at a time, its progress in the status bar, Esc (or /cancel)
// cancels it. It is used on the UI goroutine; the transfer itself runs
// in the background.
type transfers struct {
	a *App
	// what names the running transfer ("" none); done and total are its
	// progress, cancel stops it.
	what        string
	done, total int64
	start       time.Time
	cancel      context.CancelFunc
	drawn       time.Time
}

// statusText is the running transfer's progress, for the status bar.
func (t *transfers) statusText() string {
	if t.what == "" {
		return ""
	}
	return chat.ProgressLine(t.what, t.done, t.total, time.Since(t.start), 10) + " · Esc cancels"
}

// run starts work as the transfer what (of total bytes); then runs on
// the UI goroutine with its outcome.
func (t *transfers) run(what string, total int64, work func(ctx context.Context, progress func(done, total int64)) error, then func(err error)) {
	if t.what != "" {
		t.a.errorLine("%s is still running: wait for it, or press Esc to cancel it", t.what)
		return
	}
	ctx, cancel := context.WithCancel(t.a.ctx)
	t.what, t.done, t.total, t.start, t.cancel = what, 0, total, time.Now(), cancel
	t.a.refreshBars()
	progress := func(done, total int64) {
		// Off the UI goroutine: redrawn at most ten times a second.
		t.a.update(func() bool {
			if t.cancel == nil {
				return false
			}
			t.done, t.total = done, total
			if time.Since(t.drawn) < 100*time.Millisecond && done < total {
				return false
			}
			t.drawn = time.Now()
			t.a.refreshBars()
			return true
		})
	}
	t.a.background(func(context.Context) func() {
		err := work(ctx, progress)
		return func() {
			cancel()
			t.what, t.cancel = "", nil
			t.a.refreshBars()
			if errors.Is(err, context.Canceled) && t.a.ctx.Err() == nil {
				t.a.systemLine("cancelled %s", what)
				return
			}
			then(err)
		}
	})
}

// cancelRunning cancels the running transfer; it reports whether there
// was one.
func (t *transfers) cancelRunning() bool {
	if t.cancel == nil {
		return false
	}
	t.cancel()
	return true
}

// cmdUpload sends the file at the path typed (~ is the home folder); a
// text after a path that exists is its caption.
func cmdUpload(a *App, arg string) error {
	conv := a.model.current
	if conv == "" {
		return errors.New("open a conversation first, then /upload the file to it")
	}
	path, caption := uploadPath(arg)
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return fmt.Errorf("no file %s to send; Tab completes paths", arg)
	case !st.Mode().IsRegular():
		return fmt.Errorf("%s is not a file; send a file, not a folder or a device", path)
	}
	if err := chat.CheckFileSize(st.Size(), a.be.MaxFileBytes()); err != nil {
		return err
	}
	name := filepath.Base(path)
	what := "sending " + name
	a.files.run(what, st.Size(), func(ctx context.Context, progress func(done, total int64)) error {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("open %s: %w", path, err)
		}
		defer f.Close()
		_, err = a.be.SendFile(ctx, chat.Upload{Channel: conv, Name: name, Size: st.Size(), Body: f, Caption: caption, Progress: progress})
		return err
	}, func(err error) {
		if err != nil {
			a.errorLine("could not send %s: %v", name, err)
		}
	})
	return nil
}

// uploadPath splits /upload's argument into the file's path (the whole
// argument when it names a file, else its first word) and a caption.
func uploadPath(arg string) (path, caption string) {
	arg = strings.TrimSpace(arg)
	if _, err := os.Stat(chat.ExpandHome(arg)); err == nil {
		return chat.ExpandHome(arg), ""
	}
	first, rest, _ := strings.Cut(arg, " ")
	return chat.ExpandHome(first), strings.TrimSpace(rest)
}

// pathCompletions are the paths Tab offers for word: the entries of its
// folder that start with its last part, folders with a "/".
func pathCompletions(word string) []string {
	dir, base := filepath.Split(word)
	read := chat.ExpandHome(dir)
	if read == "" {
		read = "."
	}
	entries, err := os.ReadDir(read)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, base) || (strings.HasPrefix(n, ".") && !strings.HasPrefix(base, ".")) {
			continue
		}
		if e.IsDir() {
			n += "/"
		}
		out = append(out, dir+n)
	}
	return out
}

// selectedFile returns the selected message and its file, or says why
// there is none.
func (s *selection) selectedFile() (*logView, *line, *chat.FileInfo) {
	v, l := s.selectedMessage()
	if l == nil {
		return nil, nil, nil
	}
	x := v.log.extra(l)
	switch {
	case x == nil || x.file == nil:
		s.a.errorLine("that message has no file")
		return nil, nil, nil
	case x.deleted():
		s.a.errorLine("that message was deleted, and its file with it")
		return nil, nil, nil
	}
	return v, l, x.file
}

// fileMessage is what FetchFile needs of line l of v.
func fileMessage(v *logView, l *line, f *chat.FileInfo) chat.Message {
	return chat.Message{ID: l.id, User: v.log.user(l), File: f}
}

// saveSelected saves the selected message's file in the download folder
// under its cleaned name, never over another file.
func (s *selection) saveSelected() {
	v, l, f := s.selectedFile()
	if f == nil {
		return
	}
	if s.a.opts.DownloadDir == "" {
		s.a.errorLine("no download folder is known: set download_dir in the config file")
		return
	}
	s.fetchTo(v, l, f, "save", "saving", s.a.opts.DownloadDir, false, func(path string) error {
		s.a.systemLine("saved %s", path)
		return nil
	})
}

// openSelected opens the selected message's file with the desktop's
// opener (a copy in the cache folder, fetched once), or its first link
// when it has no file.
func (s *selection) openSelected() {
	if v, l := s.selectedMessage(); l != nil {
		if x := v.log.extra(l); x == nil || x.file == nil {
			s.openSelectedLink()
			return
		}
	}
	v, l, f := s.selectedFile()
	if f == nil {
		return
	}
	cache, err := os.UserCacheDir()
	switch {
	case s.a.opts.OpenURL == nil:
		s.a.errorLine("rtchat cannot open files here; save it with s")
		return
	case err != nil:
		s.a.errorLine("no cache folder to open the file from; save it with s")
		return
	}
	dir := filepath.Join(cache, "rtchat", "open", l.id.String())
	s.fetchTo(v, l, f, "open", "opening", dir, true, func(path string) error {
		if err := s.a.opts.OpenURL(path); err != nil {
			return err
		}
		s.a.systemLine("opened %s", path)
		return nil
	})
}

// fetchTo fetches file f of line l of v into folder dir, as a transfer
// (act and acting name it: "save", "saving"), under its cleaned name (made unique; or, with reuse,
// the copy fetched and checked before), then runs then with its path on
// the UI goroutine.
func (s *selection) fetchTo(v *logView, l *line, f *chat.FileInfo, act, acting, dir string, reuse bool, then func(path string) error) {
	conv, m, name := s.selectedConv(v), fileMessage(v, l, f), chat.SafeFileName(f.Name)
	var path string
	s.a.files.run(acting+" "+name, f.Size, func(ctx context.Context, progress func(done, total int64)) error {
		if reuse {
			if p := filepath.Join(dir, name); fileExists(p) {
				path = p
				return nil
			}
			if err := os.MkdirAll(dir, 0o700); err != nil { // the cache's copy: the user's alone
				return err
			}
		}
		var err error
		path, err = chat.SaveFile(ctx, dir, "", name, func(w io.Writer) error {
			return s.a.be.FetchFile(ctx, conv, m, w, progress)
		})
		return err
	}, func(err error) {
		if err == nil {
			err = then(path)
		}
		if err != nil {
			s.a.errorLine("could not %s %s: %v", act, name, fileError(err))
		}
	})
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// viewSelected shows the selected message's text file in a pager overlay
// (its first 64 KiB), escaped like the log.
func (s *selection) viewSelected() {
	v, l, f := s.selectedFile()
	if f == nil {
		return
	}
	if !f.IsText() {
		s.a.errorLine("%s is not text (%s); save it with s or open it with o", sanitize(f.Name), sanitize(f.Type))
		return
	}
	if f.Size > s.a.be.MaxFileBytes() {
		s.a.errorLine("%s is over max_file_bytes; it is not fetched", sanitize(f.Name))
		return
	}
	conv, m := s.selectedConv(v), fileMessage(v, l, f)
	var b bytes.Buffer
	s.a.files.run("fetching "+chat.SafeFileName(f.Name), f.Size, func(ctx context.Context, progress func(done, total int64)) error {
		return s.a.be.FetchFile(ctx, conv, m, &b, progress)
	}, func(err error) {
		if err != nil {
			s.a.errorLine("could not show %s: %v", sanitize(f.Name), fileError(err))
			return
		}
		s.a.showPager(f, b.Bytes())
	})
}

// showPager shows text in an overlay, a row a line, every line escaped.
func (a *App) showPager(f *chat.FileInfo, text []byte) {
	cut := len(text) > pagerBytes
	if cut {
		text = text[:pagerBytes]
	}
	title := sanitize(f.Name) + " · " + chat.FormatBytes(f.Size) + " · Esc closes"
	o := newOverlay(a.st, title)
	var rows []overlayRow
	for _, ln := range strings.Split(strings.TrimSuffix(string(text), "\n"), "\n") {
		ln = strings.ReplaceAll(ln, "\t", "    ")
		rows = append(rows, overlayRow{text: sanitize(ln), style: a.st.log.base, pick: true})
	}
	if cut {
		rows = append(rows, overlayRow{text: fmt.Sprintf("… the first %s of %s; save it with s to read the rest", chat.FormatBytes(pagerBytes), chat.FormatBytes(f.Size)), style: a.st.log.meta})
	}
	o.setRows(rows)
	o.onClose = a.closeOverlay
	a.showOverlay(o)
}

// fileError says a fetch's failure in words a person can act on.
func fileError(err error) error {
	switch {
	case errors.Is(err, chat.ErrFileMismatch):
		return errors.New("⚠ its bytes do not match the SHA-256 its message gives (they were changed after it was sent); nothing was saved")
	case errors.Is(err, chat.ErrFileGone):
		return errors.New("it is no longer stored (deleted, or trimmed with old messages)")
	}
	return err
}

// fetchPicture draws the picture of line l of c small in the log: from
// the preview its message carries, else from the file, fetched; where
// the terminal draws pixels, the file is fetched for them too. A file
// that says it is a picture but is none (or one too large) stays a file
// line, with a note.
func (a *App) fetchPicture(c *channelLog, l *line, x *lineExtra) {
	if a.opts.Images == "off" || x.file.Size > a.be.MaxFileBytes() {
		return
	}
	conv, m, seq := c.name, chat.Message{ID: l.id, User: c.user(l), File: x.file}, l.seq
	preview, gfx := x.file.Preview, a.gfx
	var cw, ch int
	if gfx != nil {
		cw, ch = gfx.cellSize()
	}
	a.background(func(ctx context.Context) func() {
		var t *thumbnail
		var sharp *image.NRGBA
		var err, fileErr error
		if preview != nil {
			// The sender's preview: drawn at once, nothing fetched.
			t, err = previewThumbnail(preview, thumbCols, thumbRows)
		}
		if t == nil || gfx != nil {
			var b bytes.Buffer
			var img image.Image
			if fileErr = a.be.FetchFile(ctx, conv, m, &b, nil); fileErr == nil {
				img, fileErr = picture.Decode(b.Bytes())
			}
			if fileErr == nil {
				if t == nil {
					t = scaleToCells(img, thumbCols, thumbRows)
				}
				if gfx != nil {
					sharp = sharpen(img, t, cw, ch)
				}
			}
			if t == nil {
				err = fileErr
			}
		}
		return func() {
			switch {
			case err == nil:
				x.thumb = t
				if sharp != nil {
					t.sharp = gfx.picture(sharp)
				}
				if errors.Is(fileErr, chat.ErrFileMismatch) {
					x.thumbNote = "⚠ changed since it was sent"
				}
			case errors.Is(err, chat.ErrFileMismatch):
				x.thumbNote = "⚠ changed since it was sent"
			case errors.Is(err, errNotPicture):
				x.thumbNote = "not a picture"
			case errors.Is(err, chat.ErrFileGone):
				x.thumbNote = "no longer stored"
			default:
				x.thumbNote = sanitize(err.Error())
			}
			delete(c.lays, seq) // laid out again with its picture
		}
	})
}

// picturesShown says whether v's pictures are drawn with the terminal's
// graphics in this frame: not under a dialog or overlay (it would cover
// them), nor the log's under a thread drawn over it.
func (a *App) picturesShown(v *logView) bool {
	if a.pages.HasPage("confirm") || a.pages.HasPage("overlay") {
		return false
	}
	if t := a.threads.thread; t != nil && !t.beside {
		return v == t.view
	}
	return true
}

// cmdCancel cancels the running transfer.
func cmdCancel(a *App, _ string) error {
	if !a.files.cancelRunning() {
		return errors.New("no file is being sent or fetched")
	}
	return nil
}
