package config

import (
	"strings"
	"testing"
)

func FuzzDecode(f *testing.F) {
	f.Add([]byte("user = \"alice\"\n[redis]\nport = 6380\npassword = \"pw\"\n"))
	f.Add([]byte("colour = 1\n"))
	f.Add([]byte("[redis]\nurl = \"redis://u:secret@h:1/2\"\n"))
	f.Add([]byte("page_size = \"many\""))
	f.Add([]byte("highlights = [\"deploy\", \"\\u001b\"]\nnotify_command = [\"notify-send\", \"$(id)\"]\nshow_joins = false\ntimestamp_format = \"3:04PM\"\n"))
	f.Add([]byte("timestamp_format = \"\"\nhighlights = \"x\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := Default()
		c.User = "fuzzer"
		err := c.decode("fuzz.toml", data, 0o644)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.toml") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		// Whatever was decoded, printing it never depends on the password
		// (a plain substring check would trip on a password like "0000"
		// that also occurs in an address).
		other := c
		other.Redis.Password = Secret("not-" + c.Redis.Password.Reveal())
		if c.String() != other.String() {
			t.Fatalf("the printed config depends on the password: %s", c.String())
		}
		_ = c.Validate()
	})
}
