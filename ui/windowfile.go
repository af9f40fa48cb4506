package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"

	"github.com/rtchat/rtchat/chat"
)

// What the window brings back on a restart, as Slack and weechat do: the
// text typed and not sent stays with its conversation (switching away and
// back brings it back too), and the conversation that was open opens
// again, scrolled to where it was. Options.StateFile keeps it (JSON,
// written 0600: a draft may be private); without one it lasts while the
// window runs.

// maxDraft bounds one draft kept in the file (a message is smaller).
const maxDraft = 64 << 10

// windowState is the state file's content.
type windowState struct {
	// Drafts are the unsent texts by conversation.
	Drafts map[string]string `json:"drafts,omitempty"`
	// Current is the conversation on screen at the end; Place the id of
	// the line at the bottom of its view when it was scrolled up ("" at
	// the newest line).
	Current string `json:"current,omitempty"`
	Place   string `json:"place,omitempty"`
}

func (s windowState) equal(o windowState) bool {
	return s.Current == o.Current && s.Place == o.Place && maps.Equal(s.Drafts, o.Drafts)
}

// keeper keeps the window's state (model.drafts and where the person was)
// and writes it to the state file; it runs on the UI goroutine.
type keeper struct {
	a *App
	// saved is what the file holds; restore what the start brings back
	// (Place is cleared once applied).
	saved, restore windowState
}

// newKeeper reads the state file (a missing file is a first start) into
// a.model.drafts; a file that cannot be read is said and starts empty.
func newKeeper(a *App) *keeper {
	k := &keeper{a: a}
	st, err := loadWindowState(a.opts.StateFile)
	if err != nil {
		a.sys.append(newSystemLine(lineError, err.Error()))
	}
	k.saved, k.restore = st, st
	k.saved.Drafts = maps.Clone(st.Drafts)
	a.model.drafts = st.Drafts
	return k
}

// loadWindowState reads the state file at path.
func loadWindowState(path string) (windowState, error) {
	st := windowState{Drafts: map[string]string{}}
	if path == "" {
		return st, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read your drafts: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return windowState{Drafts: map[string]string{}}, fmt.Errorf("read your drafts from %s: %w (they start empty)", path, err)
	}
	if st.Drafts == nil {
		st.Drafts = map[string]string{}
	}
	for conv, text := range st.Drafts {
		if text == "" || len(text) > maxDraft {
			delete(st.Drafts, conv)
		}
	}
	if chat.ValidateConv(st.Current) != nil {
		st.Current, st.Place = "", ""
	}
	return st, nil
}

// first reports whether the start should show conv among the joined
// convs: the one open at the end of the last run, else the first.
func (k *keeper) first(conv string, i int, joined []chat.Channel) bool {
	want := k.restore.Current
	for _, ch := range joined {
		if ch.Name == want {
			return conv == want
		}
	}
	return i == 0
}

// place scrolls conv back to where it was at the end of the last run,
// once: when conv is the conversation that was open then, is on screen
// and has its first page (the page and the switch come in either order),
// and that page holds the line.
func (k *keeper) place(conv string, log *channelLog) {
	if k.restore.Place == "" || conv != k.restore.Current || conv != k.a.model.current || !log.historyLoaded {
		return
	}
	id, err := chat.ParseID(k.restore.Place)
	k.restore.Place = ""
	if err != nil {
		return
	}
	i := log.indexOf(id)
	if i < 0 || i == len(log.lines)-1 {
		return
	}
	log.follow, log.anchor, log.anchorRow = false, i, 1<<20 // the bottom row of the line (clamped when drawn)
	log.newCount = 0
	for j := i + 1; j < len(log.lines); j++ {
		if log.lines[j].isMessage() {
			log.newCount++
		}
	}
}

// leave records the main input's text as conv's draft, when the person
// leaves conv for another or quits.
func (k *keeper) leave(conv string) {
	a := k.a
	if conv == "" {
		return
	}
	if a.comp.composing.kind != composeNone {
		a.comp.cancelCompose() // an edit's or a reaction's text is no draft
	}
	if text := a.input.GetText(); text != "" && len(text) <= maxDraft {
		a.model.drafts[conv] = text
	} else {
		delete(a.model.drafts, conv)
	}
}

// show puts conv's draft in the main input (or empties it). Text typed
// before any conversation was open stays.
func (k *keeper) show(prev, conv string) {
	a := k.a
	if prev == "" && a.input.GetText() != "" {
		return
	}
	a.input.SetText(a.model.drafts[conv], true)
	a.prompt.restartRecall()
	a.prompt.resizeInput()
}

// now is the state to keep: the drafts, the open conversation and, when
// scrolled up, the line at the bottom of its view.
func (k *keeper) now() windowState {
	a := k.a
	st := windowState{Drafts: a.model.drafts, Current: a.model.current}
	if c := a.model.channels[a.model.current]; c != nil && !c.log.follow && len(c.log.lines) > 0 {
		i := min(max(c.log.anchor, 0), len(c.log.lines)-1)
		for i >= 0 && c.log.lines[i].id.IsZero() {
			i-- // a line of rtchat's own: the message above it
		}
		if i >= 0 {
			st.Place = c.log.lines[i].id.String()
		}
	}
	if a.model.current == "" {
		// Nothing shown yet: what the last run kept stays.
		st.Current, st.Place = k.restore.Current, k.restore.Place
	}
	return st
}

// save writes the state file when the state changed since it was last
// written: a whole new file, renamed into place.
func (k *keeper) save() error {
	path := k.a.opts.StateFile
	st := k.now()
	if path == "" || st.equal(k.saved) {
		return nil
	}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("save your drafts: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save your drafts: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".window-*")
	if err != nil {
		return fmt.Errorf("save your drafts: %w", err)
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("save your drafts: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("save your drafts: %w", err)
	}
	k.saved = st
	k.saved.Drafts = maps.Clone(st.Drafts)
	return nil
}
