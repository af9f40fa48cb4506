package ui

import (
	"testing"
	"unsafe"
)

// TestLineStaysSmall: a log may hold a million lines; a line is 48 bytes
// (docs/PERFORMANCE.md counts on it). A new field must fit the padding or
// say why it is worth the memory.
func TestLineStaysSmall(t *testing.T) {
	if n := unsafe.Sizeof(line{}); n > 48 {
		t.Fatalf("a log line is %d bytes, more than 48", n)
	}
}
