package ui

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/rivo/tview"
	"github.com/rtchat/rtchat/chat"
)

// composeKind is what the next Enter in the input does with its text.
type composeKind uint8

const (
	composeNone  composeKind = iota
	composeReply             // send it as a reply to id
	composeEdit              // make it id's new text
	composeReact             // react to id with it
)

// compose is a reply, edit or reaction being typed; the status bar says
// what (Esc in the input cancels it).
type compose struct {
	kind composeKind
	conv string
	id   chat.ID
	// view is the log the message is in (the channel's, or the thread
	// pane's).
	view *logView
	what string
	// byUp is the text an Up on the empty input put there to edit (the
	// user's last message): a further Up or Down, before any change,
	// leaves the edit for the recall of earlier inputs.
	byUp string
}

// startCompose puts the input in a compose mode and gives it the focus.
func (cp *composer) startCompose(c compose) {
	cp.composing = c
	if c.view != nil {
		c.view.endSelect()
	}
	cp.a.app.SetFocus(cp.composeInput())
	cp.a.refreshBars()
}

// composeInput is the input a compose mode types into: the thread pane's
// when the message is in the thread.
func (cp *composer) composeInput() *tview.TextArea {
	if t := cp.a.threads.thread; t != nil && cp.composing.view == t.view {
		return t.input
	}
	return cp.a.input
}

// cancelCompose leaves the compose mode (the text typed stays).
func (cp *composer) cancelCompose() bool {
	if cp.composing.kind == composeNone {
		return false
	}
	was, in := cp.composing.kind, cp.composeInput()
	cp.composing = compose{}
	if was == composeEdit || was == composeReact {
		in.SetText("", false)
	}
	cp.a.refreshBars()
	return true
}

// composed handles Enter in a compose mode; it reports false when the
// text must stay in the input for mending.
func (cp *composer) composed(text string) bool {
	c := cp.composing
	d := chat.Draft{Channel: c.conv, Text: text}
	switch c.kind {
	case composeReply:
		d.ReplyTo = c.id
		if t := cp.a.threads.thread; t != nil && c.view == t.view {
			d.Thread = t.root
		}
		cp.composing = compose{}
		cp.a.refreshBars()
		return cp.a.sendDraft(d) == nil
	case composeEdit:
		d.Kind, d.Ref = chat.KindEdit, c.id
	case composeReact:
		d.Kind, d.Ref = chat.KindReact, c.id
		if e, ok := chat.Emoji(strings.TrimSpace(text)); ok {
			d.Text = e
		}
	}
	if _, err := cp.a.be.Send(d); err != nil {
		if errors.Is(err, chat.ErrEmptyMessage) {
			return true
		}
		cp.a.errorLine("not sent: %v", err)
		return false
	}
	cp.composing = compose{}
	cp.a.refreshBars()
	return true
}

// composeStatus says what is being composed, for the status bar.
func (cp *composer) composeStatus() string {
	if cp.composing.kind == composeNone {
		return ""
	}
	return cp.composing.what + " · Esc cancels"
}

// runEditor opens the input's text in the user's editor ($VISUAL, else
// $EDITOR, else vi) and puts what comes back into the input, unsent.
func (cp *composer) runEditor() {
	in := cp.a.prompt.focusedInput()
	text := in.GetText()
	var out string
	var err error
	cp.a.app.Suspend(func() { out, err = cp.editText(text) })
	if err != nil {
		cp.a.errorLine("the editor: %v", err)
		return
	}
	in.SetText(strings.TrimRight(out, "\n"), true)
}

// editText writes text to a file only the user can read, lets the editor
// change it, and returns what the file holds then.
func (cp *composer) editText(text string) (string, error) {
	f, err := os.CreateTemp("", "rtchat-*.md")
	if err != nil {
		return "", fmt.Errorf("make a file for it: %w", err)
	}
	defer os.Remove(f.Name())
	_, werr := f.WriteString(text)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return "", fmt.Errorf("write the message for the editor: %w", werr)
	}
	run := cp.a.opts.RunEditor
	if run == nil {
		run = runEditorCommand
	}
	if err := run(f.Name()); err != nil {
		return "", err
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		return "", fmt.Errorf("read what the editor wrote: %w", err)
	}
	return string(b), nil
}

// runEditorCommand runs $VISUAL, $EDITOR or vi on path in the terminal.
func runEditorCommand(path string) error {
	args := strings.Fields(os.Getenv("VISUAL"))
	if len(args) == 0 {
		args = strings.Fields(os.Getenv("EDITOR"))
	}
	if len(args) == 0 {
		args = []string{"vi"}
	}
	cmd := exec.Command(args[0], append(args[1:], path)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w (set VISUAL or EDITOR to the editor you use)", args[0], err)
	}
	return nil
}
