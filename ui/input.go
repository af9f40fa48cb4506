package ui

import (
	"strings"

	"github.com/gdamore/tcell/v2"
)

// completion remembers a Tab cycle so repeated Tabs step through the
// candidates.
type completion struct {
	prefix string
	cands  []string
	i      int
	result string // the input text the last Tab produced
}

// inputKey handles the keys of the input line.
func (a *App) inputKey(ev *tcell.EventKey) *tcell.EventKey {
	text := a.input.GetText()
	if ev.Key() != tcell.KeyTab {
		a.complete = completion{}
	}
	switch ev.Key() {
	case tcell.KeyEnter:
		if ev.Modifiers()&(tcell.ModAlt|tcell.ModShift) != 0 {
			a.input.SetText(text+"\n", true)
			return nil
		}
		if strings.TrimSpace(text) != "" {
			a.history = append(a.history, text)
		}
		a.histPos = len(a.history)
		if a.runInput(text) {
			a.input.SetText("", false)
		}
		return nil
	case tcell.KeyTab:
		a.tabComplete(text)
		return nil
	case tcell.KeyUp, tcell.KeyDown:
		if strings.Contains(text, "\n") {
			return ev
		}
		a.recall(ev.Key() == tcell.KeyUp)
		return nil
	case tcell.KeyHome:
		if text == "" {
			a.logv.Top()
			return nil
		}
	case tcell.KeyEnd:
		if text == "" {
			a.logv.Live()
			return nil
		}
	}
	return ev
}

// recall steps through earlier inputs.
func (a *App) recall(older bool) {
	if older && a.histPos > 0 {
		a.histPos--
	} else if !older && a.histPos < len(a.history) {
		a.histPos++
	}
	if a.histPos == len(a.history) {
		a.input.SetText("", true)
		return
	}
	a.input.SetText(a.history[a.histPos], true)
}

// tabComplete completes the word before the cursor, cycling on repeats.
func (a *App) tabComplete(text string) {
	c := &a.complete
	if c.result == "" || c.result != text {
		prefix, cands := a.completions(text)
		if len(cands) == 0 {
			return
		}
		*c = completion{prefix: prefix, cands: cands, i: 0}
	} else {
		c.i = (c.i + 1) % len(c.cands)
	}
	c.result = c.prefix + c.cands[c.i]
	a.input.SetText(c.result, true)
}

// resizeInput grows the input with the lines of a multi-line message.
func (a *App) resizeInput() {
	n := strings.Count(a.input.GetText(), "\n") + 1
	a.inputRow.ResizeItem(a.input, min(n, 6), 0)
}
