package main

import "testing"

// bidi = "auto" leaves right-to-left text to a terminal known to do it,
// unless a multiplexer draws the cells; app, terminal and off say it.
func TestBidiInWindow(t *testing.T) {
	for _, tc := range []struct {
		setting string
		env     map[string]string
		want    bool
	}{
		{"auto", nil, true},
		{"auto", map[string]string{"VTE_VERSION": "7600"}, false},
		{"auto", map[string]string{"KONSOLE_VERSION": "230804"}, false},
		{"auto", map[string]string{"VTE_VERSION": "7600", "TMUX": "/tmp/tmux-0/default,1,0"}, true},
		{"app", map[string]string{"VTE_VERSION": "7600"}, true},
		{"terminal", nil, false},
		{"off", nil, false},
	} {
		if got := bidiInWindow(tc.setting, func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("bidi = %q with %v: %v, want %v", tc.setting, tc.env, got, tc.want)
		}
	}
}
