package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
)

// Drafts: what the person typed and did not send stays with its
// conversation — switching away and back brings it back, as in Slack and
// weechat — and survives a restart when Options.DraftsFile names a file
// (JSON, conversation → text, written 0600: a draft may be private).

// maxDraft bounds one draft kept in the file (a message is smaller).
const maxDraft = 64 << 10

// keepDraft records the main input's text as conv's draft.
func (a *App) keepDraft(conv string) {
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

// showDraft puts conv's draft in the main input (or empties it). Text
// typed before any conversation was open stays.
func (a *App) showDraft(prev, conv string) {
	if prev == "" && a.input.GetText() != "" {
		return
	}
	a.input.SetText(a.model.drafts[conv], true)
	a.prompt.resizeInput()
}

// loadDrafts reads the drafts file; a missing file is no drafts.
func loadDrafts(path string) (map[string]string, error) {
	out := map[string]string{}
	if path == "" {
		return out, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("read your drafts: %w", err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return map[string]string{}, fmt.Errorf("read your drafts from %s: %w (they start empty)", path, err)
	}
	for conv, text := range out {
		if text == "" || len(text) > maxDraft {
			delete(out, conv)
		}
	}
	return out, nil
}

// saveDrafts writes the drafts file when the drafts changed since it was
// last written: a whole new file, renamed into place.
func (a *App) saveDrafts() error {
	path := a.opts.DraftsFile
	if path == "" || maps.Equal(a.model.drafts, a.savedDrafts) {
		return nil
	}
	b, err := json.Marshal(a.model.drafts)
	if err != nil {
		return fmt.Errorf("save your drafts: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save your drafts: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".drafts-*")
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
	a.savedDrafts = maps.Clone(a.model.drafts)
	return nil
}
