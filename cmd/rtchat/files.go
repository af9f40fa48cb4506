package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rtchat/rtchat/chat"
)

// openUpload opens the file send --file names: a path, or "-" for
// standard input (then name must be given). The size is known before
// anything is sent, so a file over the limit is refused at once.
func openUpload(path, name string, captionFromStdin bool, std stdio, max int64) (*chat.Upload, error) {
	if path == "-" {
		if name == "" {
			return nil, errors.New("--file - reads the file from standard input: give its name with --name")
		}
		if captionFromStdin {
			return nil, errors.New("standard input is the file (--file -): give the caption as text, not -")
		}
		// Read whole (bounded below by the limit check): a pipe's size is
		// known only at its end.
		b, err := io.ReadAll(io.LimitReader(std.in, max+1))
		if err != nil {
			return nil, fmt.Errorf("read the file from standard input: %w", err)
		}
		if err := chat.CheckFileSize(int64(len(b)), max); err != nil {
			return nil, err
		}
		return &chat.Upload{Name: name, Size: int64(len(b)), Body: bytes.NewReader(b)}, nil
	}
	path = chat.ExpandHome(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open the file to send: %w", err)
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file; send a file, not a folder or a device", path)
	}
	if err == nil {
		err = chat.CheckFileSize(st.Size(), max)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	if name == "" {
		name = filepath.Base(path)
	}
	return &chat.Upload{Name: name, Size: st.Size(), Body: f}, nil
}

// runGet writes the file of a message to a file or standard output.
func runGet(ctx context.Context, args []string, std stdio) error {
	var f commonFlags
	fs := newFlagSet("get", "[flags] CHANNEL|@PERSON ID", "Fetch the file of message ID and check it against the SHA-256 its signed message gives. It is saved in the download folder under its own (cleaned) name, never over another file; -o PATH saves it there, -o - writes it to standard output.", std.err)
	f.register(fs)
	out := fs.String("o", "", "save to `PATH` (- for standard output; an existing file is not overwritten)")
	pos, err := parseN(fs, args, 2, 2)
	if err != nil {
		return err
	}
	id, err := chat.ParseID(pos[1])
	if err != nil {
		return fmt.Errorf("message id: %w", err)
	}
	s, err := openSession(ctx, &f, std, nil)
	if err != nil {
		return err
	}
	defer s.close()
	conv, err := s.client.Resolve(ctx, strings.TrimPrefix(pos[0], "#"))
	if err != nil {
		return err
	}
	msgs, err := s.client.Around(ctx, conv, id, 0)
	if err != nil {
		return err
	}
	var m *chat.Message
	for i := range msgs {
		if msgs[i].ID == id {
			m = &msgs[i]
		}
	}
	switch {
	case m == nil:
		return fmt.Errorf("%s has no message %s; 'rtchat tail %s' lists its messages with their ids", chat.Display(conv), id, pos[0])
	case m.File == nil:
		return fmt.Errorf("message %s of %s has no file", id, chat.Display(conv))
	case m.State != nil && m.State.Deleted != nil:
		return fmt.Errorf("message %s of %s was deleted, and its file with it", id, chat.Display(conv))
	}
	if ok, _, err := s.client.VerifyNow(ctx, *m); err == nil && !ok[0] {
		fmt.Fprintf(std.err, "rtchat: warning: message %s does not carry a valid signature of %s's; the file may not be theirs\n", id, m.User)
	}
	bar := newProgressBar(std, "fetching "+chat.SafeFileName(m.File.Name))
	if *out == "-" {
		// Checked before a byte is written: standard output cannot take
		// back what it printed.
		var b bytes.Buffer
		err := s.client.FetchFile(ctx, conv, *m, &b, bar.update)
		bar.done()
		if err != nil {
			return err
		}
		_, err = std.out.Write(b.Bytes())
		return err
	}
	dest, dir := *out, ""
	if dest == "" {
		if dir = s.cfg.DownloadDir; dir == "" {
			return errors.New("no download folder is known (no HOME): give one with -o PATH")
		}
	}
	path, err := chat.SaveFile(ctx, dir, dest, chat.SafeFileName(m.File.Name), func(w io.Writer) error {
		err := s.client.FetchFile(ctx, conv, *m, w, bar.update)
		bar.done()
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(std.out, path)
	return nil
}

// progressBar draws a transfer's progress on standard error when it is a
// terminal: a bar, the bytes done and the rate, redrawn at most ten
// times a second, and cleared at the end.
type progressBar struct {
	w         io.Writer
	what      string
	start     time.Time
	last      time.Time
	drawn     bool
	shownDone bool
}

func newProgressBar(std stdio, what string) *progressBar {
	p := &progressBar{what: what, start: time.Now()}
	if terminal(std.err) {
		p.w = std.err
	}
	return p
}

func (p *progressBar) update(done, total int64) {
	if p.w == nil || (time.Since(p.last) < 100*time.Millisecond && done < total) {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r\x1b[K%s", chat.ProgressLine(p.what, done, total, time.Since(p.start), 20))
	p.drawn = true
}

func (p *progressBar) done() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
