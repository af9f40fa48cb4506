package chat

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// FilePins keeps pinned keys in a file shared by every rtchat of the
// system user (like SSH's known_hosts): one line per key, "server user id
// key", tab-separated. Lines are only ever appended, so rtchats running at
// once never lose each other's pins.
type FilePins struct {
	path, server string
	mu           sync.Mutex
	loaded       bool
	pins         map[string]map[string]string
}

// NewFilePins returns the pins of server kept in the file at path.
func NewFilePins(path, server string) *FilePins {
	return &FilePins{path: path, server: server, pins: map[string]map[string]string{}}
}

// Pinned returns the keys pinned for user on the server.
func (p *FilePins) Pinned(user string) map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.load()
	return maps.Clone(p.pins[user])
}

// Pin records key id of user, in memory and in the file.
func (p *FilePins) Pin(user, id, key string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.load()
	p.add(user, id, key)
	if err := os.MkdirAll(filepath.Dir(p.path), 0o700); err != nil {
		return fmt.Errorf("pin a key: %w", err)
	}
	f, err := os.OpenFile(p.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("pin a key: %w", err)
	}
	_, werr := fmt.Fprintf(f, "%s\t%s\t%s\t%s\n", p.server, user, id, key)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("pin a key: %w", werr)
	}
	return nil
}

// load reads the file once (p.mu held). A missing file holds nothing; an
// unreadable one is read again at the next call.
func (p *FilePins) load() {
	if p.loaded {
		return
	}
	f, err := os.Open(p.path)
	if errors.Is(err, fs.ErrNotExist) {
		p.loaded = true
		return
	}
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "\t")
		if len(parts) == 4 && parts[0] == p.server {
			if _, ok := parsePublicKey(parts[2], parts[3]); ok {
				p.add(parts[1], parts[2], parts[3])
			}
		}
	}
	p.loaded = sc.Err() == nil
}

func (p *FilePins) add(user, id, key string) {
	if p.pins[user] == nil {
		p.pins[user] = map[string]string{}
	}
	p.pins[user][id] = key
}
