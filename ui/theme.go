package ui

import (
	"os"
	"time"

	"github.com/rivo/tview"
	"github.com/rtchat/rtchat/themes"
)

// applyTheme recolours every part of the screen.
func (a *App) applyTheme(t themes.Theme) {
	*a.st = *newStyles(t)
	a.opts.Theme = t
	w := themeWatch{file: t.File}
	if fi, err := os.Stat(t.File); err == nil {
		w.mod = fi.ModTime()
	}
	a.themeFile.Store(w)
	a.bars.header.style, a.bars.status.style = a.st.header, a.st.status
	a.styleInput(a.input)
	if a.threads.thread != nil {
		a.styleInput(a.threads.thread.input)
	}
}

// styleInput colours an input line as the theme says.
func (a *App) styleInput(in *tview.TextArea) {
	in.SetTextStyle(a.st.input).SetPlaceholderStyle(a.st.inputPlaceholder).SetBackgroundColor(a.st.theme.Input.Background.Color)
}

// themeWatch is the theme file in use and its modification time when it
// was loaded.
type themeWatch struct {
	file string
	mod  time.Time
}

// watchTheme re-reads the theme file in use when it changes, so editing
// it recolours the window within a second.
func (a *App) watchTheme() {
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-tick.C:
		}
		w, _ := a.themeFile.Load().(themeWatch)
		if w.file == "" {
			continue
		}
		fi, err := os.Stat(w.file)
		if err != nil || fi.ModTime().Equal(w.mod) {
			continue
		}
		// Remember this version even if it does not parse, so a broken
		// file is reported once, not every tick.
		a.themeFile.CompareAndSwap(w, themeWatch{file: w.file, mod: fi.ModTime()})
		t, err := themes.Load(w.file)
		a.post(func() {
			if err != nil {
				a.errorLine("%v; keeping the current colours", err)
				return
			}
			a.applyTheme(t)
		})
	}
}
