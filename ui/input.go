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
func (pr *prompt) inputKey(ev *tcell.EventKey) *tcell.EventKey {
	return pr.keyIn(pr.a.input, ev, pr.enter)
}

// enter handles Enter in the main input: a reply, edit or reaction being
// composed, else a command or a message.
func (pr *prompt) enter(text string) bool {
	if pr.a.comp.composing.kind != composeNone && pr.a.comp.composing.view != nil && (pr.a.threads.thread == nil || pr.a.comp.composing.view != pr.a.threads.thread.view) {
		if p := parseInput(text); p.cmd == nil && p.problem == "" {
			return pr.a.comp.composed(text)
		}
	}
	if old, repl, all, ok := parseSubst(text); ok && pr.a.comp.composing.kind == composeNone {
		return pr.a.sel.substituteLast(old, repl, all)
	}
	return pr.a.runInput(text)
}

// keyIn handles the keys of an input line in; run handles Enter (it
// reports false when the text must stay for mending).
func (pr *prompt) keyIn(in *tview.TextArea, ev *tcell.EventKey, run func(text string) bool) *tcell.EventKey {
	text := in.GetText()
	if ev.Key() != tcell.KeyTab {
		pr.complete = completion{}
	}
	if isNewline(ev) {
		in.SetText(text+"\n", true)
		return nil
	}
	switch ev.Key() {
	case tcell.KeyEnter:
		if strings.TrimSpace(text) != "" {
			pr.history = append(pr.history, text)
		}
		pr.restartRecall()
		if run(text) {
			in.SetText("", false)
		}
		return nil
	case tcell.KeyEscape:
		switch {
		case pr.a.comp.cancelCompose():
		case pr.a.threads.thread != nil && in == pr.a.threads.thread.input:
			pr.a.threads.closeThread()
		case pr.a.files.cancelRunning():
		default:
			return ev
		}
		return nil
	case tcell.KeyTab:
		pr.tabComplete(in, text)
		return nil
	case tcell.KeyUp, tcell.KeyDown:
		if strings.Contains(text, "\n") {
			return ev
		}
		if ev.Key() == tcell.KeyUp && text == "" && in == pr.a.input && pr.a.comp.composing.kind == composeNone && pr.a.sel.editLast() {
			return nil // Slack's habit: Up on an empty input edits your last message
		}
		if c := pr.a.comp.composing; c.byUp != "" && c.byUp == text {
			pr.a.comp.cancelCompose() // untouched: on to the earlier inputs
			pr.restartRecall()
		}
		pr.recall(in, ev.Key() == tcell.KeyUp)
		return nil
	case tcell.KeyHome:
		if text == "" && in == pr.a.input {
			pr.a.logv.Top()
			return nil
		}
	case tcell.KeyEnd:
		if text == "" && in == pr.a.input {
			pr.a.logv.Live()
			return nil
		}
	}
	return ev
}

// isNewline reports whether ev asks for a new line in the message:
// Alt+Enter or Shift+Enter, and Alt+Enter under tmux, which sends ESC CR
// (tcell reads it as Alt+Ctrl+M).
func isNewline(ev *tcell.EventKey) bool {
	switch mods := ev.Modifiers(); ev.Key() {
	case tcell.KeyEnter:
		return mods&(tcell.ModAlt|tcell.ModShift) != 0
	case tcell.KeyRune:
		return ev.Rune() == 'm' && mods&(tcell.ModAlt|tcell.ModCtrl) == tcell.ModAlt|tcell.ModCtrl
	}
	return false
}

// focusedInput is the input line that has the focus (the main one when
// none has).
func (pr *prompt) focusedInput() *tview.TextArea {
	if t := pr.a.threads.thread; t != nil && t.focused() {
		return t.input
	}
	return pr.a.input
}

// restartRecall makes the next Up recall the newest input again.
func (pr *prompt) restartRecall() { pr.histPos, pr.pending = len(pr.history), "" }

// recall steps through earlier inputs. The text being typed is kept
// while stepping back and comes back after the newest input, as in a
// shell; with no earlier input Up leaves it as it is.
func (pr *prompt) recall(in *tview.TextArea, older bool) {
	switch {
	case older && pr.histPos > 0:
		if pr.histPos >= len(pr.history) {
			pr.pending = in.GetText()
		}
		pr.histPos--
	case !older && pr.histPos < len(pr.history):
		pr.histPos++
	default:
		return
	}
	if pr.histPos >= len(pr.history) {
		in.SetText(pr.pending, true)
		pr.pending = ""
		return
	}
	in.SetText(pr.history[pr.histPos], true)
}

// tabComplete completes the word before the cursor, cycling on repeats.
func (pr *prompt) tabComplete(in *tview.TextArea, text string) {
	c := &pr.complete
	if c.result == "" || c.result != text {
		prefix, cands := pr.a.completions(text)
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
func (pr *prompt) resizeInput() {
	n := strings.Count(pr.a.input.GetText(), "\n") + 1
	pr.a.inputRow.ResizeItem(rtlInput{pr.a.input}, min(n, 6), 0)
	if n <= 6 {
		// Everything fits: show it from the first line (the text area
		// scrolled while it was one row high).
		row, _ := pr.a.input.GetOffset()
		if row != 0 {
			pr.a.input.SetOffset(0, 0)
		}
	}
}
