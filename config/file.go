package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// loadFile decodes the TOML file at path over c, strictly: an unknown key
// or a value of the wrong type is an error naming the file and the key. A
// missing file is an error only when the path was given explicitly.
func (c *Config) loadFile(path string, explicit bool) error {
	info, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !explicit {
			return nil
		}
		return fmt.Errorf("read config file %s: %w", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config file %s: %w", path, err)
	}
	return c.decode(path, data, info.Mode().Perm())
}

// valueError reads the TOML decoder's complaint about a value.
var valueError = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]+)"\): (.*)$`)

// plainTOMLError says a TOML decoder's complaint about a value in words:
// "incompatible types: TOML value has type string; destination has type
// boolean" is "true or false is wanted, not a string".
func plainTOMLError(msg string) string {
	got, want, ok := strings.Cut(strings.TrimPrefix(msg, "incompatible types: TOML value has type "), "; destination has type ")
	if !ok {
		return msg
	}
	words := map[string]string{"boolean": "true or false", "bool": "true or false", "string": "a quoted string", "integer": "a whole number",
		"int": "a whole number", "int64": "a whole number", "float": "a number", "slice": "a list [ … ]", "struct": "a table"}
	w, known := words[strings.TrimSpace(want)]
	if !known {
		w = strings.TrimSpace(want)
	}
	g := map[string]string{"string": "a string", "integer": "a whole number", "float": "a number", "bool": "true or false", "array": "a list", "table": "a table"}[strings.TrimSpace(got)]
	if g == "" {
		g = strings.TrimSpace(got)
	}
	return w + " is wanted here, not " + g
}

// decode applies the TOML text of the config file at path (whose
// permissions are perm) over c.
func (c *Config) decode(path string, data []byte, perm fs.FileMode) error {
	before := *c
	md, err := toml.Decode(string(data), c)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return fmt.Errorf("config file %s: line %d: %s", path, perr.Position.Line, perr.Message)
		}
		// A value of the wrong type comes as text only: "toml: line 1
		// (last key "mouse"): incompatible types: …".
		if m := valueError.FindStringSubmatch(err.Error()); m != nil {
			return fmt.Errorf("config file %s: line %s: %s: %s (see config.example.toml)", path, m[1], m[2], plainTOMLError(m[3]))
		}
		return fmt.Errorf("config file %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return fmt.Errorf("config file %s: unknown key %s (see config.example.toml for the keys)", path, strings.Join(keys, ", "))
	}
	c.File = path
	for _, k := range []string{"redis.url", "redis.host", "redis.port", "redis.addrs"} {
		if md.IsDefined(strings.Split(k, ".")...) {
			c.AddressSet = true
		}
	}
	if md.IsDefined("retention") {
		c.RetentionSet = true
	}
	if perm&0o077 != 0 && (c.Redis.Password != before.Redis.Password || urlHasPassword(c.Redis.URL) && c.Redis.URL != before.Redis.URL) {
		c.Warnings = append(c.Warnings, fmt.Sprintf("config file %s holds a password and can be read by other users; run: chmod 600 %s", path, path))
	}
	return nil
}

// urlHasPassword reports whether a Redis URL carries a password.
func urlHasPassword(u URL) bool {
	p, err := url.Parse(u.Reveal())
	if err != nil {
		return strings.Contains(u.Reveal(), "@")
	}
	_, has := p.User.Password()
	return has
}

// ReadPasswordFile reads a password: the first line of the file at path.
// warn is set when others may read the file.
func ReadPasswordFile(path string) (pw, warn string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", fmt.Errorf("read the password file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", "", fmt.Errorf("read the password file: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return "", "", fmt.Errorf("read the password file: %w", err)
	}
	pw, _, _ = strings.Cut(string(data), "\n")
	if pw = strings.TrimSuffix(pw, "\r"); pw == "" {
		return "", "", fmt.Errorf("the password file %s is empty; put the password on its first line", path)
	}
	if info.Mode().Perm()&0o077 != 0 {
		warn = fmt.Sprintf("the password file %s can be read by other users; run: chmod 600 %s", path, path)
	}
	return pw, warn, nil
}
