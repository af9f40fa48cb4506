package chat_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/embedded"
)

// sendFile sends data as a file called name to conv and returns the
// message as the receiver r got it live.
func sendFile(t *testing.T, from, to *recorder, conv, name string, data []byte, caption string) chat.Message {
	t.Helper()
	s, err := from.SendFile(ctxT(t), chat.Upload{Channel: conv, Name: name, Size: int64(len(data)), Body: bytes.NewReader(data), Caption: caption})
	if err != nil {
		t.Fatalf("send %s: %v", name, err)
	}
	var got chat.Message
	seen := conv // as the receiver names it
	if _, dm := chat.PeerOf(conv); dm {
		seen = chat.DM(from.User())
	}
	to.waitFor(10*time.Second, name+" arrives", func() bool {
		for _, m := range to.msgs[seen] {
			if m.ID == s.ID {
				got = m
				return true
			}
		}
		return false
	})
	return got
}

func fetch(t *testing.T, r *recorder, conv string, m chat.Message) ([]byte, error) {
	t.Helper()
	var b bytes.Buffer
	err := r.FetchFile(ctxT(t), conv, m, &b, nil)
	return b.Bytes(), err
}

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fileKeys lists the keys that hold files' bytes.
func fileKeys(t *testing.T, rdb redis.UniversalClient) []string {
	t.Helper()
	keys, err := rdb.Keys(ctxT(t), "*:file:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// Text, binary (across chunk boundaries) and image files arrive with
// their signed description and come back byte for byte, live and from
// history; an edit changes the caption only.
func TestFileRoundTrip(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	alice := newRecorder(t, rdb, "alice", func(o *chat.Options) { o.Signer = chat.NewSigner() })
	bob := newRecorder(t, rdb, "bob")
	for _, r := range []*recorder{alice, bob} {
		if _, err := r.Join(ctx, "general"); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	binary := make([]byte, 2*chat.FileChunk+12345)
	for i := range binary {
		binary[i] = byte(rng.UintN(256))
	}
	files := []struct {
		name, typ string
		data      []byte
	}{
		{"build.log", "text/plain; charset=utf-8", []byte("line 1\nline 2\n")},
		{"core.bin", "application/octet-stream", binary},
		{"screenshot.png", "image/png", pngBytes(t, 300, 200)},
		{"exact.dat", "", bytes.Repeat([]byte{7}, chat.FileChunk)},
		{"empty.txt", "text/plain; charset=utf-8", nil},
	}
	for _, f := range files {
		m := sendFile(t, alice, bob, "general", f.name, f.data, "see "+f.name)
		if m.File == nil || m.File.Name != f.name || m.File.Size != int64(len(f.data)) || m.Text != "see "+f.name {
			t.Fatalf("%s arrived as %+v (file %+v)", f.name, m, m.File)
		}
		if f.typ != "" && m.File.Type != f.typ {
			t.Errorf("%s has type %q, want %q", f.name, m.File.Type, f.typ)
		}
		sum := sha256.Sum256(f.data)
		if m.File.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: sha256 %s", f.name, m.File.SHA256)
		}
		if ok := verdicts(t, bob, []chat.Message{m}); !ok[0] {
			t.Errorf("%s: the signature does not hold", f.name)
		}
		got, err := fetch(t, bob, "general", m)
		if err != nil || !bytes.Equal(got, f.data) {
			t.Fatalf("%s came back as %d bytes (%v), want %d", f.name, len(got), err, len(f.data))
		}
	}
	// From history, and after an edit of the caption.
	page, err := bob.History(ctx, "general", chat.ID{})
	if err != nil {
		t.Fatal(err)
	}
	var png chat.Message
	for _, m := range page.Messages {
		if m.File != nil && m.File.Name == "screenshot.png" {
			png = m
		}
	}
	if png.File == nil || !png.File.IsImage() {
		t.Fatalf("history lost the file: %+v", page.Messages)
	}
	if _, err := alice.Broadcast(ctx, chat.Draft{Channel: "general", Kind: chat.KindEdit, Ref: png.ID, Text: "the new caption"}); err != nil {
		t.Fatal(err)
	}
	page, _ = bob.History(ctx, "general", chat.ID{})
	for _, m := range page.Messages {
		if m.ID == png.ID {
			if m.File == nil || m.State == nil || m.State.Edit == nil || m.State.Edit.Text != "the new caption" {
				t.Fatalf("after the edit: %+v %+v", m, m.State)
			}
			if got, err := fetch(t, bob, "general", m); err != nil || !bytes.Equal(got, files[2].data) {
				t.Fatalf("the edited message's file: %v", err)
			}
		}
	}
	// Stored once each, and kept for good (no TTL) once sent.
	for _, k := range fileKeys(t, rdb) {
		if ttl := rdb.PTTL(ctx, k).Val(); ttl != -1 {
			t.Errorf("%s keeps a TTL of %v", k, ttl)
		}
	}
}

// A picture's message carries the sender's small preview, signed with
// the rest, live and from history; a file that says it is a picture and
// is none, and a file that is no picture, carry none.
func TestPicturePreview(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	alice := newRecorder(t, rdb, "alice", func(o *chat.Options) { o.Signer = chat.NewSigner() })
	bob := newRecorder(t, rdb, "bob")
	for _, r := range []*recorder{alice, bob} {
		if _, err := r.Join(ctx, "general"); err != nil {
			t.Fatal(err)
		}
	}
	m := sendFile(t, alice, bob, "general", "wide.png", pngBytes(t, 400, 100), "")
	if m.File.Preview == nil {
		t.Fatal("a picture arrived without its preview")
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(m.File.Preview))
	if err != nil || cfg.Width != 80 || cfg.Height != 20 {
		t.Fatalf("the preview of a 400 × 100 picture is %+v (%v), want 80 × 20", cfg, err)
	}
	if ok := verdicts(t, bob, []chat.Message{m}); !ok[0] {
		t.Error("the signature does not cover a message with a preview")
	}
	page, err := bob.History(ctx, "general", chat.ID{})
	if err != nil || len(page.Messages) != 1 || !bytes.Equal(page.Messages[0].File.Preview, m.File.Preview) {
		t.Fatalf("history lost the preview: %v", err)
	}
	fake, err := alice.SendFile(ctx, chat.Upload{Channel: "general", Name: "cat.png", Type: "image/png", Size: 5, Body: strings.NewReader("hello")})
	if err != nil {
		t.Fatal(err)
	}
	plain := sendFile(t, alice, bob, "general", "notes.txt", []byte("no picture"), "")
	page, _ = bob.History(ctx, "general", chat.ID{})
	for _, m := range page.Messages {
		if (m.ID == fake.ID || m.ID == plain.ID) && m.File.Preview != nil {
			t.Errorf("%s carries a preview", m.File.Name)
		}
	}
}

// A file over the limit is refused before anything is stored; the
// receiver refuses to fetch one over its own limit.
func TestFileOverTheLimit(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	small := newRecorder(t, rdb, "alice", func(o *chat.Options) { o.MaxFileBytes = 1000 })
	_, err := small.SendFile(ctx, chat.Upload{Channel: "general", Name: "big.bin", Size: 1001, Body: bytes.NewReader(make([]byte, 1001))})
	if !errors.Is(err, chat.ErrFileTooLarge) || !strings.Contains(err.Error(), "max_file_bytes") {
		t.Fatalf("over the limit: %v", err)
	}
	if keys := fileKeys(t, rdb); len(keys) != 0 {
		t.Fatalf("a refused file left %v", keys)
	}
	big := newRecorder(t, rdb, "bob")
	if _, err := big.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	if _, err := small.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	m := sendFile(t, big, small, "general", "big.bin", make([]byte, 5000), "")
	if _, err := fetch(t, small, "general", m); !errors.Is(err, chat.ErrFileTooLarge) {
		t.Fatalf("fetching over the limit: %v", err)
	}
}

// failingReader gives n bytes, then fails.
type failingReader struct {
	n       int
	reached func()
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		if r.reached != nil {
			r.reached()
		}
		return 0, errors.New("disk on fire")
	}
	k := min(len(p), r.n)
	r.n -= k
	return k, nil
}

// An upload that fails or is cancelled half way shows nothing and leaves
// nothing; while it runs its chunks carry a TTL, so one whose client
// dies expires.
func TestInterruptedUpload(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	alice := newRecorder(t, rdb, "alice")
	if _, err := alice.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	size := int64(10 * chat.FileChunk)
	var during []string
	var ttl time.Duration
	body := &failingReader{n: 5 * chat.FileChunk, reached: func() {
		during = fileKeys(t, rdb)
		if len(during) == 1 {
			ttl = rdb.PTTL(ctx, during[0]).Val()
		}
	}}
	_, err := alice.SendFile(ctx, chat.Upload{Channel: "general", Name: "half.bin", Size: size, Body: body})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("a failed read: %v", err)
	}
	if len(during) != 1 || ttl <= 0 || ttl > time.Hour {
		t.Fatalf("during the upload: keys %v, TTL %v", during, ttl)
	}
	if keys := fileKeys(t, rdb); len(keys) != 0 {
		t.Fatalf("a failed upload left %v", keys)
	}
	if n := rdb.XLen(ctx, "message:{general}").Val(); n != 0 {
		t.Fatalf("a failed upload sent %d entries", n)
	}

	cctx, cancel := context.WithCancel(ctx)
	var progressed int64
	_, err = alice.SendFile(cctx, chat.Upload{Channel: "general", Name: "cancelled.bin", Size: size, Body: bytes.NewReader(make([]byte, size)),
		Progress: func(done, total int64) {
			progressed = done
			if done > total/3 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) || progressed >= size {
		t.Fatalf("a cancelled upload: %v after %d bytes", err, progressed)
	}
	if keys := fileKeys(t, rdb); len(keys) != 0 {
		t.Fatalf("a cancelled upload left %v", keys)
	}
	if n := rdb.XLen(ctx, "message:{general}").Val(); n != 0 {
		t.Fatalf("a cancelled upload sent %d entries", n)
	}
	// A body shorter than its size is refused, and one that grew.
	if _, err := alice.SendFile(ctx, chat.Upload{Channel: "general", Name: "short", Size: 10, Body: strings.NewReader("12345")}); err == nil {
		t.Fatal("a short body was sent")
	}
	if _, err := alice.SendFile(ctx, chat.Upload{Channel: "general", Name: "grew", Size: 5, Body: strings.NewReader("1234567")}); err == nil || !strings.Contains(err.Error(), "grew") {
		t.Fatalf("a body that grew: %v", err)
	}
	if keys := fileKeys(t, rdb); len(keys) != 0 {
		t.Fatalf("refused uploads left %v", keys)
	}
}

// A download read ahead of its hashing stops cleanly when it is
// cancelled, when its writer fails, and when a later chunk is gone.
func TestInterruptedDownload(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	alice, bob := newRecorder(t, rdb, "alice"), newRecorder(t, rdb, "bob")
	joinAll(t, ctx, "general", alice, bob)
	data := make([]byte, 20*chat.FileChunk+7)
	for i := range data {
		data[i] = byte(rand.IntN(256))
	}
	m := sendFile(t, alice, bob, "general", "big.bin", data, "")

	cctx, cancel := context.WithCancel(ctx)
	var progressed int64
	err := bob.FetchFile(cctx, "general", m, io.Discard, func(done, total int64) {
		progressed = done
		if done > total/3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || progressed >= int64(len(data)) {
		t.Fatalf("a cancelled download: %v after %d bytes", err, progressed)
	}
	if err := bob.FetchFile(ctx, "general", m, &failingWriter{n: 5 * chat.FileChunk}, nil); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("a failing writer: %v", err)
	}
	key := fileKeys(t, rdb)[0]
	rdb.HDel(ctx, key, "17")
	var got bytes.Buffer
	if err := bob.FetchFile(ctx, "general", m, &got, nil); !errors.Is(err, chat.ErrFileGone) || got.Len() != 17*chat.FileChunk {
		t.Fatalf("a later chunk gone: %v after %d bytes", err, got.Len())
	}
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n < len(p) {
		return 0, errors.New("disk full")
	}
	w.n -= len(p)
	return len(p), nil
}

// Bytes changed after the message was sent are refused; bytes removed
// are said to be gone; deleting the message removes its bytes.
func TestFileMismatchAndDelete(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	alice, bob := newRecorder(t, rdb, "alice"), newRecorder(t, rdb, "bob")
	joinAll(t, ctx, "general", alice, bob)
	data := bytes.Repeat([]byte("genuine "), 100000)
	m := sendFile(t, alice, bob, "general", "notes.txt", data, "")
	keys := fileKeys(t, rdb)
	if len(keys) != 1 {
		t.Fatalf("file keys: %v", keys)
	}
	key := keys[0]
	if want := "message:{general}:file:alice:" + m.File.ID; key != want {
		t.Fatalf("the file is at %s, want %s", key, want)
	}
	orig := rdb.HGet(ctx, key, "1").Val()
	rdb.HSet(ctx, key, "1", strings.Replace(orig, "genuine", "forged!", 1))
	if _, err := fetch(t, bob, "general", m); !errors.Is(err, chat.ErrFileMismatch) {
		t.Fatalf("changed bytes: %v", err)
	}
	rdb.HSet(ctx, key, "1", orig+"x")
	if _, err := fetch(t, bob, "general", m); !errors.Is(err, chat.ErrFileMismatch) {
		t.Fatalf("longer bytes: %v", err)
	}
	rdb.HDel(ctx, key, "1")
	if _, err := fetch(t, bob, "general", m); !errors.Is(err, chat.ErrFileGone) {
		t.Fatalf("a missing chunk: %v", err)
	}
	rdb.HSet(ctx, key, "1", orig)
	if got, err := fetch(t, bob, "general", m); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("restored: %v", err)
	}
	if _, err := alice.Broadcast(ctx, chat.Draft{Channel: "general", Kind: chat.KindDelete, Ref: m.ID}); err != nil {
		t.Fatal(err)
	}
	if left := fileKeys(t, rdb); len(left) != 0 {
		t.Fatalf("deleting the message left %v", left)
	}
	if _, err := fetch(t, bob, "general", m); !errors.Is(err, chat.ErrFileGone) {
		t.Fatalf("a deleted message's file: %v", err)
	}
	// Another tool's damaged descriptions are odd entries with no file.
	for _, raw := range []string{`{bad`, `{"id":"../../x","name":"a","size":1,"type":"t","sha256":"` + strings.Repeat("0", 64) + `"}`,
		`{"id":"0123456789abcdef","name":"a","size":-1,"type":"t","sha256":"00"}`} {
		rdb.XAdd(ctx, &redis.XAddArgs{Stream: "message:{general}", Values: []any{"user", "mallory", "text", "", "ts", "1", "mid", "x", "channel_id", "1", "file", raw}})
	}
	page, err := bob.History(ctx, "general", chat.ID{})
	if err != nil {
		t.Fatal(err)
	}
	odd := 0
	for _, m := range page.Messages {
		if m.User == "mallory" {
			if m.File != nil || !strings.Contains(m.Malformed, "file is damaged") {
				t.Errorf("a damaged file field read as %+v (%q)", m.File, m.Malformed)
			}
			odd++
		}
	}
	if odd != 3 {
		t.Fatalf("%d of 3 damaged entries read", odd)
	}
}

// Retention that trims a file's message removes its bytes too.
func TestRetentionRemovesFiles(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	alice := newRecorder(t, rdb, "alice", func(o *chat.Options) { o.MaxLen = 10 })
	if _, err := alice.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.SendFile(ctx, chat.Upload{Channel: "general", Name: "old.txt", Size: 3, Body: strings.NewReader("old")}); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.SendFile(ctx, chat.Upload{Channel: "general", Name: "older.txt", Size: 5, Body: strings.NewReader("older")}); err != nil {
		t.Fatal(err)
	}
	for i := 0; len(fileKeys(t, rdb)) > 0; i++ {
		if i > 2000 {
			t.Fatalf("after %d messages the files are still kept: %v (stream %d long)", i, fileKeys(t, rdb), rdb.XLen(ctx, "message:{general}").Val())
		}
		if _, err := alice.BroadcastMessage(ctx, "general", fmt.Sprint("filler ", i)); err != nil {
			t.Fatal(err)
		}
	}
	first, err := rdb.XRangeN(ctx, "message:{general}", "-", "+", 1).Result()
	if err != nil || len(first) == 0 || first[0].Values["file"] != nil {
		t.Fatalf("the file's message is still there: %v %v", first, err)
	}
	if n := rdb.ZCard(ctx, "message:{general}:files").Val(); n != 0 {
		t.Fatalf("the list of files keeps %d", n)
	}
}

// Hostile names are cleaned for saving: no folders, no control or
// direction characters, no hidden files, bounded length.
func TestSafeFileName(t *testing.T) {
	for in, want := range map[string]string{
		"../../etc/passwd":                 "passwd",
		"/abs/path.txt":                    "path.txt",
		"dir/":                             "file",
		"a\x00b\x1b[31mc.txt":              "ab[31mc.txt",
		"invoice\u202Egpj.exe":             "invoicegpj.exe",
		".bashrc":                          "bashrc",
		"..":                               "file",
		"":                                 "file",
		"C:\\Windows\\evil.dll":            "evil.dll",
		"report: final?.pdf":               "report_ final_.pdf",
		"normal name (1).png":              "normal name (1).png",
		strings.Repeat("é", 2000) + ".png": strings.Repeat("é", 98) + ".png",
	} {
		if got := chat.SafeFileName(in); got != want {
			t.Errorf("SafeFileName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 812: "812 B", 1024: "1 KiB", 49152: "48 KiB", 2621440: "2.5 MiB", 25 << 20: "25 MiB"} {
		if got := chat.FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// A file in a private channel or a direct conversation is covered by the
// conversation's ACL rules: a non-member gets NOPERM on its keys, by
// rtchat and by redis-cli, and nobody but its author may write a file.
func TestFilesArePrivate(t *testing.T) {
	a := withAccounts(t, "alice", "bob", "carol")
	ctx := ctxT(t)
	if err := a.adm.MakePrivate(ctx, "secret", "admin", []string{"alice", "bob"}); err != nil {
		t.Fatal(err)
	}
	alice, bob, carol := a.person("alice"), a.person("bob"), a.person("carol")
	for _, r := range []*recorder{alice, bob, carol} {
		r.waitConnected()
	}
	secret := chat.Private("secret")
	// "rtchat send secret" (and send --file) by a member: the name is
	// the private channel's, opened, not made public.
	if p, err := alice.Prepare(ctx, "secret", true); err != nil || p.Conv != secret || p.Created {
		t.Fatalf("prepare secret: %+v %v", p, err)
	}
	for _, r := range []*recorder{alice, bob} {
		if _, err := r.Join(ctx, secret); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := carol.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	data := []byte("the plans")
	inSecret := sendFile(t, alice, bob, secret, "plans.txt", data, "")
	if got, err := fetch(t, bob, secret, inSecret); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("bob fetches: %v", err)
	}
	if _, err := alice.Open(ctx, chat.DM("bob")); err != nil {
		t.Fatal(err)
	}
	inDM := sendFile(t, alice, bob, chat.DM("bob"), "dm.txt", data, "")
	if got, err := fetch(t, bob, chat.DM("alice"), inDM); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("bob fetches the DM's file: %v", err)
	}
	public := sendFile(t, alice, carol, "general", "public.txt", data, "")

	secretKey := "privmsg:{secret}:file:alice:" + inSecret.File.ID
	dmKey := "dm:{alice,bob}:file:alice:" + inDM.File.ID
	publicKey := "message:{general}:file:alice:" + public.File.ID
	for _, k := range []string{secretKey, dmKey, publicKey} {
		if n := a.admin.Exists(ctx, k).Val(); n != 1 {
			t.Fatalf("%s is not stored", k)
		}
	}
	for _, args := range [][]string{
		{"HGET", secretKey, "0"}, {"HGETALL", secretKey}, {"HLEN", secretKey}, {"HSET", secretKey, "0", "x"}, {"UNLINK", secretKey},
		{"HGET", dmKey, "0"}, {"HSET", dmKey, "0", "x"}, {"UNLINK", dmKey},
		{"HSET", publicKey, "0", "forged"}, {"HDEL", publicKey, "0"}, {"PEXPIRE", publicKey, "1"}, {"DEL", publicKey},
		{"HSET", "message:{general}:file:alice:0000000000000000", "0", "x"},
	} {
		if out := a.cli("carol", args...); !strings.Contains(out, "NOPERM") {
			t.Errorf("carol %v: %q, want NOPERM", args, out)
		}
	}
	if _, err := fetch(t, carol, secret, inSecret); err == nil || !strings.Contains(err.Error(), "NOPERM") {
		t.Errorf("carol fetched the private file: %v", err)
	}
	// carol reads the public file, and may store her own beside it.
	if got, err := fetch(t, carol, "general", public); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("carol fetches the public file: %v", err)
	}
	sendFile(t, carol, alice, "general", "mine.txt", []byte("carol's"), "")
	// Her own file key is hers to write.
	if out := a.cli("carol", "HSET", "message:{general}:file:carol:0123456789abcdef", "0", "x"); strings.Contains(out, "NOPERM") {
		t.Fatalf("carol may not write her own file: %s", out)
	}
}

// On a cluster a file's chunks live with its conversation (one slot), and
// come back whole.
func TestFilesOnACluster(t *testing.T) {
	a := newClusterAccounts(t)
	a.add("alice")
	a.add("bob")
	ctx := ctxT(t)
	alice, bob := a.person("alice"), a.person("bob")
	for _, r := range []*recorder{alice, bob} {
		r.waitConnected()
		if _, err := r.Join(ctx, "general"); err != nil {
			t.Fatal(err)
		}
	}
	data := bytes.Repeat([]byte{1, 2, 3}, chat.FileChunk)
	m := sendFile(t, alice, bob, "general", "big.bin", data, "on a cluster")
	if got, err := fetch(t, bob, "general", m); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("fetch on a cluster: %v", err)
	}
	cl := a.admin.(*redis.ClusterClient)
	key := "message:{general}:file:alice:" + m.File.ID
	if s1, s2 := cl.ClusterKeySlot(ctx, key).Val(), cl.ClusterKeySlot(ctx, "message:{general}").Val(); s1 != s2 {
		t.Fatalf("the file is in slot %d, its conversation in %d", s1, s2)
	}
	if n := cl.Exists(ctx, key).Val(); n != 1 {
		t.Fatal("the file is not stored")
	}
}

// The embedded server (miniredis, EVAL instead of functions) keeps files
// as a real Redis does: round trip, delete, retention.
func TestFilesOnTheEmbeddedServer(t *testing.T) {
	srv, err := embedded.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := ctxT(t)
	alice := newRecorder(t, rdb, "alice", func(o *chat.Options) { o.Signer, o.MaxLen = chat.NewSigner(), 10 })
	bob := newRecorder(t, rdb, "bob")
	for _, r := range []*recorder{alice, bob} {
		if _, err := r.Join(ctx, "general"); err != nil {
			t.Fatal(err)
		}
	}
	data := bytes.Repeat([]byte("embedded "), chat.FileChunk/4)
	m := sendFile(t, alice, bob, "general", "e.txt", data, "")
	if got, err := fetch(t, bob, "general", m); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("fetch: %v", err)
	}
	if ok := verdicts(t, bob, []chat.Message{m}); !ok[0] {
		t.Error("the signature does not hold")
	}
	if _, err := alice.Broadcast(ctx, chat.Draft{Channel: "general", Kind: chat.KindDelete, Ref: m.ID}); err != nil {
		t.Fatal(err)
	}
	if left := fileKeys(t, rdb); len(left) != 0 {
		t.Fatalf("deleting left %v", left)
	}
	if _, err := alice.SendFile(ctx, chat.Upload{Channel: "general", Name: "old.txt", Size: 3, Body: strings.NewReader("old")}); err != nil {
		t.Fatal(err)
	}
	for i := 0; len(fileKeys(t, rdb)) > 0; i++ {
		if i > 2000 {
			t.Fatalf("retention kept %v", fileKeys(t, rdb))
		}
		if _, err := alice.BroadcastMessage(ctx, "general", fmt.Sprint("filler ", i)); err != nil {
			t.Fatal(err)
		}
	}
}

// An account that calls the send function by hand cannot make it loop
// over a Hash it stuffed, nor send a file message whose bytes are not
// all there, nor one of an absurd size.
func TestFileMessageByHandIsChecked(t *testing.T) {
	a := withAccounts(t, "carol")
	ctx := ctxT(t)
	carol := a.person("carol")
	carol.waitConnected()
	if _, err := carol.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	key := "message:{general}:file:carol:0123456789abcdef"
	pipe := a.conn("carol").Pipeline()
	for i := range 20000 {
		pipe.HSet(ctx, key, strconv.Itoa(i), "x")
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	lib, _ := chat.Library()
	send := func(size string) string {
		file := `{"id":"0123456789abcdef","name":"a","size":` + size + `,"type":"text/plain","sha256":"` + strings.Repeat("0", 64) + `"}`
		return a.cli("carol", "FCALL", lib+"_send", "7", "message:{general}", "channel:{general}", "message:{general}:state",
			"message:{general}", "message:{general}:by:carol", key, "message:{general}:files",
			"0", "message:{general}", "0", "", "", "carol", "", "1", "by-hand", "", "", "", "", "file", file)
	}
	for size, want := range map[string]string{"20000": "not stored whole", "1": "not stored whole", "1e12": "out of range", "-5": "out of range"} {
		start := time.Now()
		if out := send(size); !strings.Contains(out, "NOFILE") || !strings.Contains(out, want) {
			t.Errorf("size %s: %q, want NOFILE %s", size, out, want)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("size %s took %v", size, d)
		}
	}
	if n := a.admin.XLen(ctx, "message:{general}").Val(); n != 0 {
		t.Fatalf("%d entries were stored", n)
	}
}
