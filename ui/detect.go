package ui

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"time"

	"golang.org/x/term"
)

// DetectGraphics asks the terminal on tty which graphics protocol it
// draws, before the window takes the terminal: a kitty graphics query,
// the cell size in pixels (CSI 16 t), the terminal's name and version
// (XTVERSION) and its device attributes (DA1), which every terminal
// answers, last: once that answer is in, the others are too (a terminal
// ignores what it does not know). It waits at most timeout, and finds no
// protocol where nothing answers (or under tmux, which answers for
// itself and passes no pictures on by default).
func DetectGraphics(tty *os.File, timeout time.Duration) Graphics {
	// Not tty.Fd(): it would make reads blocking, deaf to deadlines.
	rc, err := tty.SyscallConn()
	if err != nil {
		return Graphics{}
	}
	fd := -1
	_ = rc.Control(func(f uintptr) { fd = int(f) })
	if fd < 0 || !term.IsTerminal(fd) {
		return Graphics{}
	}
	old, err := term.MakeRaw(fd)
	if err != nil {
		return Graphics{}
	}
	defer func() { _ = term.Restore(fd, old) }()
	if _, err := tty.WriteString(graphicsQuery); err != nil {
		return Graphics{}
	}
	var got []byte
	buf := make([]byte, 512)
	deadline := time.Now().Add(timeout)
	for !da1Answer.Match(got) && time.Now().Before(deadline) {
		// A tty read honours deadlines (it is pollable); where it does
		// not, the read returns when the terminal answers DA1.
		_ = tty.SetReadDeadline(deadline)
		n, err := tty.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	_ = tty.SetReadDeadline(time.Time{})
	return parseGraphicsAnswers(got)
}

// graphicsQuery is what DetectGraphics asks: kitty's query of a 1 × 1
// image (a=q: answered, never stored), the cell size, XTVERSION, DA1.
const graphicsQuery = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\" + "\x1b[16t" + "\x1b[>q" + "\x1b[c"

var (
	da1Answer    = regexp.MustCompile(`\x1b\[\?([0-9;]*)c`)
	kittyAnswer  = regexp.MustCompile(`\x1b_Gi=31;OK\x1b\\`)
	cellAnswer   = regexp.MustCompile(`\x1b\[6;([0-9]+);([0-9]+)t`)
	nameAnswer   = regexp.MustCompile(`\x1bP>\|([^\x1b]*)\x1b\\`)
	iterm2Speaks = regexp.MustCompile(`^(iTerm2|WezTerm|mintty|Konsole)\b`)
)

// parseGraphicsAnswers reads the terminal's answers to graphicsQuery:
// kitty's protocol where it said OK, else iTerm2's where the terminal's
// name is one that speaks it, else sixel where DA1 lists attribute 4.
func parseGraphicsAnswers(got []byte) Graphics {
	var g Graphics
	if m := cellAnswer.FindSubmatch(got); m != nil {
		h, _ := strconv.Atoi(string(m[1]))
		w, _ := strconv.Atoi(string(m[2]))
		if w > 0 && h > 0 && w < 1000 && h < 1000 {
			g.CellWidth, g.CellHeight = w, h
		}
	}
	da1 := da1Answer.FindSubmatch(got)
	switch {
	case kittyAnswer.Match(got):
		g.Protocol = "kitty"
	case nameAnswer.Match(got) && iterm2Speaks.Match(nameAnswer.FindSubmatch(got)[1]):
		g.Protocol = "iterm2"
	case da1 != nil && bytes.Contains([]byte(";"+string(da1[1])+";"), []byte(";4;")):
		g.Protocol = "sixel"
	}
	return g
}
