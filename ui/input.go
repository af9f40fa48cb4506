package ui

import (
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// completion remembers a Tab cycle so repeated Tabs step through the
// candidates.
type completion struct {
	prefix string
	cands  []string
	i      int
	result string // the input text the last Tab produced
}

// inputKey handles the keys of the main input line.
func (a *App) inputKey(ev *tcell.EventKey) *tcell.EventKey {
	return a.keyIn(a.input, ev, a.enter)
}

// enter handles Enter in the main input: a reply, edit or reaction being
// composed, else a command or a message.
func (a *App) enter(text string) bool {
	if a.composing.kind != composeNone && a.composing.view != nil && (a.thread == nil || a.composing.view != a.thread.view) {
		if p := parseInput(text); p.cmd == nil && p.problem == "" {
			return a.composed(text)
		}
	}
	return a.runInput(text)
}

// keyIn handles the keys of an input line in; run handles Enter (it
// reports false when the text must stay for mending).
func (a *App) keyIn(in *tview.TextArea, ev *tcell.EventKey, run func(text string) bool) *tcell.EventKey {
	text := in.GetText()
	if ev.Key() != tcell.KeyTab {
		a.complete = completion{}
	}
	switch ev.Key() {
	case tcell.KeyEnter:
		if ev.Modifiers()&(tcell.ModAlt|tcell.ModShift) != 0 {
			in.SetText(text+"\n", true)
			return nil
		}
		if strings.TrimSpace(text) != "" {
			a.history = append(a.history, text)
		}
		a.histPos = len(a.history)
		if run(text) {
			in.SetText("", false)
		}
		return nil
	case tcell.KeyEscape:
		switch {
		case a.cancelCompose():
		case a.thread != nil && in == a.thread.input:
			a.closeThread()
		default:
			return ev
		}
		return nil
	case tcell.KeyTab:
		a.tabComplete(in, text)
		return nil
	case tcell.KeyUp, tcell.KeyDown:
		if strings.Contains(text, "\n") {
			return ev
		}
		a.recall(in, ev.Key() == tcell.KeyUp)
		return nil
	case tcell.KeyHome:
		if text == "" && in == a.input {
			a.logv.Top()
			return nil
		}
	case tcell.KeyEnd:
		if text == "" && in == a.input {
			a.logv.Live()
			return nil
		}
	}
	return ev
}

// focusedInput is the input line that has the focus (the main one when
// none has).
func (a *App) focusedInput() *tview.TextArea {
	if t := a.thread; t != nil && t.focused() {
		return t.input
	}
	return a.input
}

// recall steps through earlier inputs.
func (a *App) recall(in *tview.TextArea, older bool) {
	if older && a.histPos > 0 {
		a.histPos--
	} else if !older && a.histPos < len(a.history) {
		a.histPos++
	}
	if a.histPos == len(a.history) {
		in.SetText("", true)
		return
	}
	in.SetText(a.history[a.histPos], true)
}

// tabComplete completes the word before the cursor, cycling on repeats.
func (a *App) tabComplete(in *tview.TextArea, text string) {
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
	in.SetText(c.result, true)
}

// resizeInput grows the input with the lines of a multi-line message.
func (a *App) resizeInput() {
	n := strings.Count(a.input.GetText(), "\n") + 1
	a.inputRow.ResizeItem(a.input, min(n, 6), 0)
}
