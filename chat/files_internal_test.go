package chat

import (
	"strconv"
	"strings"
	"testing"
)

// The send program counts a file's chunks with the chunk size the
// client writes them in.
func TestSendProgramKnowsTheChunkSize(t *testing.T) {
	if want := "local CHUNK = " + strconv.Itoa(FileChunk); !strings.Contains(sendScriptSource, want) {
		t.Fatalf("the send program lacks %q", want)
	}
}
