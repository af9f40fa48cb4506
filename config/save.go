package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Login is what 'rtchat login' keeps in the config file's [redis] table.
type Login struct {
	// URL is the server's address ("" keeps the file's).
	URL string
	// Username is the Redis user, an account's name ("" for the default
	// user).
	Username string
	Password string
}

// SaveLogin writes l into the [redis] table of the config file at path,
// keeping every other line of it (comments too), and leaves the file
// readable by its owner alone (0600). The file is replaced in one rename,
// and checked to decode before it is.
func SaveLogin(path string, l Login) error {
	if path == "" {
		return errors.New("no config file to keep the password in (no home folder); give --config PATH")
	}
	if strings.ContainsAny(l.Password, "\r\n") || l.Password == "" {
		return errors.New("the password is empty or holds a line break; give one line")
	}
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read config file %s: %w", path, err)
	}
	text := withLogin(string(old), l)
	var check Config = Default()
	if err := check.decode(path, []byte(text), 0o600); err != nil {
		return fmt.Errorf("the config file would not read back (%w); fix it, then run rtchat login again", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("make the config folder: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.toml")
	if err != nil {
		return fmt.Errorf("write config file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after the rename, nothing is there
	if err := tmp.Chmod(0o600); err == nil {
		_, err = tmp.WriteString(text)
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
		if err == nil {
			return nil
		}
	}
	_ = tmp.Close()
	return fmt.Errorf("write config file %s: %w", path, err)
}

// withLogin returns the config text with l's keys in its [redis] table
// (replacing those there; the table is added when there is none).
func withLogin(text string, l Login) string {
	quote := func(s string) string { b, _ := json.Marshal(s); return string(b) } // a TOML basic string
	set := []string{"username = " + quote(l.Username), "password = " + quote(l.Password)}
	replace := map[string]bool{"username": true, "password": true}
	if l.URL != "" {
		set = append([]string{"url = " + quote(l.URL)}, set...)
		replace["url"] = true
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if text == "" {
		lines = nil
	}
	var out []string
	in, done := false, false
	for _, line := range lines {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") {
			in = t == "[redis]"
			out = append(out, line)
			if in && !done {
				out, done = append(out, set...), true
			}
			continue
		}
		if in {
			key, _, _ := strings.Cut(t, "=")
			if replace[strings.TrimSpace(key)] {
				continue
			}
		}
		out = append(out, line)
	}
	if !done {
		if len(out) > 0 {
			out = append(out, "")
		}
		out = append(append(out, "[redis]"), set...)
	}
	return strings.Join(out, "\n") + "\n"
}
