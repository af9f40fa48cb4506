package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/internal/redistest"
)

// send --file and get carry a file byte for byte: to the download
// folder (never over a file there: "name (1).ext"), to a path, to
// standard output; tail shows it and --json describes it.
func TestSendFileThenGet(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t)
	url := srv.URL()
	dl := t.TempDir()
	t.Setenv("XDG_DOWNLOAD_DIR", dl)
	data := make([]byte, 600_000)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range data {
		data[i] = byte(rng.UintN(256))
	}
	src := filepath.Join(t.TempDir(), "core.bin")
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := rtchat(t, "", "send", "--redis", url, "--file", src, "general", "the", "dump")
	if code != 0 {
		t.Fatalf("send --file: exit %d: %s", code, errs)
	}
	id := strings.TrimSpace(out)
	for i, want := range []string{"core.bin", "core (1).bin"} {
		code, out, errs = rtchat(t, "", "get", "--redis", url, "general", id)
		if code != 0 || strings.TrimSpace(out) != filepath.Join(dl, want) {
			t.Fatalf("get %d: exit %d, %q, %s", i, code, out, errs)
		}
		if got, _ := os.ReadFile(filepath.Join(dl, want)); !bytes.Equal(got, data) {
			t.Fatalf("%s differs", want)
		}
	}
	if code, out, _ = rtchat(t, "", "get", "--redis", url, "general", id, "-o", "-"); code != 0 || out != string(data) {
		t.Fatalf("get -o -: exit %d, %d bytes", code, len(out))
	}
	dest := filepath.Join(t.TempDir(), "here.bin")
	if code, _, errs = rtchat(t, "", "get", "--redis", url, "-o", dest, "general", id); code != 0 {
		t.Fatalf("get -o PATH: %s", errs)
	}
	if code, _, errs = rtchat(t, "", "get", "--redis", url, "-o", dest, "general", id); code != 1 || !strings.Contains(errs, "does not overwrite") {
		t.Fatalf("get -o over a file: exit %d, %s", code, errs)
	}
	// From standard input, with a name.
	code, out, errs = rtchat(t, "line one\nline two\n", "send", "--redis", url, "--file", "-", "--name", "notes.txt", "general")
	if code != 0 {
		t.Fatalf("send --file -: %s", errs)
	}
	textID := strings.TrimSpace(out)
	if _, out, _ = rtchat(t, "", "tail", "--redis", url, "-n", "2", "general"); !strings.Contains(out, "📎 core.bin · 586 KiB · application/octet-stream") ||
		!strings.Contains(out, "📎 notes.txt · 18 B · text/plain") || !strings.Contains(out, "the dump") {
		t.Fatalf("tail:\n%s", out)
	}
	_, out, _ = rtchat(t, "", "tail", "--redis", url, "-n", "1", "--json", "general")
	var j struct {
		ID   string `json:"id"`
		File struct {
			Name, Type, SHA256 string
			Size               int64
		} `json:"file"`
	}
	if err := json.Unmarshal([]byte(out), &j); err != nil || j.ID != textID || j.File.Name != "notes.txt" || j.File.Size != 18 ||
		j.File.Type != "text/plain; charset=utf-8" || len(j.File.SHA256) != 64 {
		t.Fatalf("tail --json: %s (%v)", out, err)
	}
}

// A file over max_file_bytes is refused in one sentence before anything
// is sent; get of a message without a file says so; changed bytes are
// refused and leave no file behind.
func TestFileRefusals(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t)
	url := srv.URL()
	cfg := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(cfg, []byte("max_file_bytes = 1000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(big, make([]byte, 1001), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := rtchat(t, "", "send", "--config", cfg, "--redis", url, "--file", big, "general")
	if code != 1 || !strings.Contains(errs, "1001 B, and files may be 1000 B at most (max_file_bytes)") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("over the limit: exit %d: %q", code, errs)
	}
	code, _, errs = rtchat(t, strings.Repeat("x", 2000), "send", "--config", cfg, "--redis", url, "--file", "-", "--name", "x", "general")
	if code != 1 || !strings.Contains(errs, "max_file_bytes") {
		t.Fatalf("stdin over the limit: exit %d: %q", code, errs)
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	if n := rdb.Exists(ctx, "message:{general}").Val(); n != 0 {
		t.Fatal("a refused file made the channel")
	}
	if code, _, errs = rtchat(t, "", "send", "--redis", url, "--file", t.TempDir(), "general"); code != 1 || !strings.Contains(errs, "not a regular file") {
		t.Fatalf("a folder: %d %q", code, errs)
	}
	_, out, _ := rtchat(t, "", "send", "--redis", url, "general", "no file here")
	if code, _, errs = rtchat(t, "", "get", "--redis", url, "general", strings.TrimSpace(out)); code != 1 || !strings.Contains(errs, "has no file") {
		t.Fatalf("get of a message without a file: %d %q", code, errs)
	}
	_, out, _ = rtchat(t, "genuine bytes", "send", "--redis", url, "--file", "-", "--name", "a.txt", "general")
	id := strings.TrimSpace(out)
	keys := rdb.Keys(ctx, "message:{general}:file:*").Val()
	if len(keys) != 1 {
		t.Fatalf("file keys %v", keys)
	}
	rdb.HSet(ctx, keys[0], "0", "forged  bytes")
	dl := t.TempDir()
	t.Setenv("XDG_DOWNLOAD_DIR", dl)
	code, out, errs = rtchat(t, "", "get", "--redis", url, "general", id)
	if code != 1 || !strings.Contains(errs, "do not match") {
		t.Fatalf("changed bytes: exit %d %q", code, errs)
	}
	if left, _ := os.ReadDir(dl); len(left) != 0 {
		t.Fatalf("a refused file left %v", left)
	}
	if code, out, _ = rtchat(t, "", "get", "--redis", url, "-o", "-", "general", id); code != 1 || out != "" {
		t.Fatalf("changed bytes to stdout: exit %d, printed %q", code, out)
	}
}

// A hostile name from another tool is saved under a cleaned name inside
// the download folder, and printed escaped.
func TestHostileFileNameIsSavedInside(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t)
	url := srv.URL()
	dl := t.TempDir()
	t.Setenv("XDG_DOWNLOAD_DIR", dl)
	_, out, _ := rtchat(t, "payload", "send", "--redis", url, "--file", "-", "--name", "x.txt", "general")
	id := strings.TrimSpace(out)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	// Rewrite the entry's name as a hostile tool would (the signature
	// then fails, which get warns about).
	e := rdb.XRange(ctx, "message:{general}", id, id).Val()[0]
	raw := e.Values["file"].(string)
	hostile := "../../\x1b[2J\u202Eevil\x00.sh"
	nameJSON, _ := json.Marshal(hostile)
	raw = strings.Replace(raw, `"name":"x.txt"`, `"name":`+string(nameJSON), 1)
	args := []any{}
	for _, k := range []string{"user", "text", "ts", "mid", "channel_id", "file", "key", "sig"} {
		v := e.Values[k]
		if k == "file" {
			v = raw
		}
		args = append(args, k, v)
	}
	id2 := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "message:{general}", Values: args}).Val()
	code, out, errs := rtchat(t, "", "get", "--redis", url, "general", id2)
	if code != 0 {
		t.Fatalf("get: %d %s", code, errs)
	}
	path := strings.TrimSpace(out)
	if filepath.Dir(path) != dl || filepath.Base(path) != "[2Jevil.sh" {
		t.Fatalf("saved at %q", path)
	}
	if !strings.Contains(errs, "warning") {
		t.Errorf("no warning about the signature: %q", errs)
	}
	_, out, _ = rtchat(t, "", "tail", "--redis", url, "-n", "1", "general")
	if strings.ContainsAny(out, "\x1b\x00\u202E") {
		t.Fatalf("tail printed control characters: %q", out)
	}
}

// Without a desktop opener, opening says so in a sentence that says what
// to do instead.
func TestOpenWithoutAnOpener(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := openURL("/tmp/some file.png")
	if err == nil || !strings.Contains(err.Error(), "is not installed here; install it, or save the file with s") {
		t.Fatalf("openURL: %v", err)
	}
}
