package ui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/themes"
)

// Splash draws the window's first frame before anything is known: the
// header and a status bar that says what the window waits for
// ("connecting to redis://host:6379…"), so that a Redis far away shows as
// a wait, not as a terminal that did nothing. screen must be started
// (Init); give it to New afterwards with Options.Started set. Text passes
// the one escaping path, as all text does.
func Splash(screen tcell.Screen, theme themes.Theme, version, status string) {
	st := newStyles(theme)
	w, h := screen.Size()
	if w <= 0 || h <= 0 {
		return
	}
	logStyle := tcell.StyleDefault.Background(st.log.bg)
	for y := range h {
		style := logStyle
		text := ""
		switch y {
		case 0:
			style, text = st.header, " rtchat "+version
		case h - 1:
			style, text = st.status, " "+status
		}
		used := drawText(screen, 0, y, w, sanitize(text), style)
		fill(screen, used, y, w-used, style)
	}
	screen.Show()
}
