package chat

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/internal/picture"
)

// A file travels as a message that carries its description (FileInfo,
// in the entry's "file" field, covered by the signature) and whose bytes
// lie beside the conversation's stream (docs/DESIGN.md, "Files"):
//
//	<stream>:file:<author>:<id>  Hash  chunk number → up to FileChunk bytes
//	<stream>:files               ZSet  file key → its message's time (ms), for retention
//
// Both share the conversation's hash tag and prefix, so the ACL patterns
// that cover its messages cover its files (a non-member gets NOPERM), and
// on a cluster they live on the conversation's master. Only the author
// may write a file's Hash (the key names them); the chunks are written
// under a TTL, and the send program makes them permanent only when every
// chunk is there and their sizes add up to the size the message gives.

const (
	// FileChunk is how many bytes one chunk holds: 256 KiB less the
	// allocator's header room, so a chunk fills one 256 KiB allocation of
	// Redis's (jemalloc) instead of spilling into the next size class.
	FileChunk = 256<<10 - 64
	// DefaultMaxFileBytes is the default file size limit (25 MiB).
	DefaultMaxFileBytes = 25 << 20
	// fileChunksInFlight is how many chunks one round trip carries.
	fileChunksInFlight = 4
	// uploadTTL is how long the chunks of an unfinished upload live.
	uploadTTL = time.Hour
	// fieldFile is the entry field of a file message.
	fieldFile = "file"
	// maxFileName is the longest file name rtchat sends, in bytes.
	maxFileName = 255
	// maxPreviewSource is the largest picture a sender makes a preview
	// of (it holds the bytes in memory for it).
	maxPreviewSource = 64 << 20
)

var (
	// ErrFileTooLarge: a file is over the size limit.
	ErrFileTooLarge = errors.New("file too large")
	// ErrFileGone: a file's bytes are no longer in Redis (its message was
	// deleted or trimmed by retention, or its upload never finished).
	ErrFileGone = errors.New("the file is no longer stored")
	// ErrFileMismatch: a file's bytes do not match the SHA-256 its signed
	// message gives: they were changed after it was sent.
	ErrFileMismatch = errors.New("the file's bytes do not match its message")
	// ErrNoFile: the message carries no file.
	ErrNoFile = errors.New("that message has no file")
)

// FileInfo describes the file a message carries.
type FileInfo struct {
	// ID names the file's bytes among its author's (16 hex digits).
	ID string `json:"id"`
	// Name is the file's name as its sender gave it: show it escaped,
	// save it under SafeFileName.
	Name string `json:"name"`
	// Size is its length in bytes.
	Size int64 `json:"size"`
	// Type is its media type ("image/png"); a claim of the sender's,
	// not checked against the bytes.
	Type string `json:"type"`
	// SHA256 is the hex SHA-256 of its bytes.
	SHA256 string `json:"sha256"`
	// Preview is a picture's small preview (picture.Preview: JPEG or
	// PNG, at most 80 × 40 pixels), made by its sender so that readers
	// draw it without fetching the file; nil for other files. It is the
	// sender's claim: only the bytes are checked against SHA256.
	Preview []byte `json:"preview,omitempty"`

	// raw is the field as stored: the signature covers these bytes.
	raw string
}

// IsImage reports whether the file says it is an image.
func (f *FileInfo) IsImage() bool { return strings.HasPrefix(f.Type, "image/") }

// IsText reports whether the file says it is text (a pager may show it).
func (f *FileInfo) IsText() bool {
	t, _, _ := strings.Cut(f.Type, ";")
	return strings.HasPrefix(t, "text/") || t == "application/json" || t == "application/x-ndjson" || t == "application/xml"
}

// Line is how a file shows as a line: "📎 build.log · 48 KiB · text/plain"
// (unescaped: the name is the sender's).
func (f *FileInfo) Line() string {
	t, _, _ := strings.Cut(f.Type, ";")
	if t = strings.TrimSpace(t); t == "" {
		t = "file"
	}
	return "📎 " + f.Name + " · " + FormatBytes(f.Size) + " · " + t
}

// Chunks is how many chunks the file's bytes fill.
func (f *FileInfo) Chunks() int64 { return (f.Size + FileChunk - 1) / FileChunk }

func encodeFileInfo(f *FileInfo) string {
	b, _ := json.Marshal(f) // a struct of strings and an int never fails
	return string(b)
}

// hexID reports whether s is n lower-case hex digits.
func hexID(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// decodeFileInfo reads a file field; ok is false when it is damaged.
func decodeFileInfo(raw string) (*FileInfo, bool) {
	var f FileInfo
	d := json.NewDecoder(strings.NewReader(raw))
	if err := d.Decode(&f); err != nil || d.More() {
		return nil, false
	}
	if !hexID(f.ID, 16) || !hexID(f.SHA256, 64) || f.Size < 0 || len(f.Name) > 4*maxFileName+64 || len(f.Type) > 255 {
		return nil, false
	}
	if len(f.Preview) > picture.MaxPreviewBytes {
		f.Preview = nil // drawn from the file instead
	}
	f.raw = raw
	return &f, true
}

// fileKey is the Hash of the chunks of author's file id in stream.
func fileKey(stream, author, id string) string { return stream + ":file:" + author + ":" + id }

// filesKey is the ZSet of a stream's stored files (for retention).
func filesKey(stream string) string { return stream + ":files" }

// An Upload is a file to send.
type Upload struct {
	// Channel is the conversation to send to.
	Channel string
	// Name is the file's name (a base name; a path is cut to its last part).
	Name string
	// Type is its media type; "" guesses it from the name and the bytes.
	Type string
	// Size is how many bytes Body gives.
	Size int64
	// Body gives the bytes.
	Body io.Reader
	// Caption is the message's text (may be empty).
	Caption string
	// ReplyTo and Thread place the message as a Draft's do.
	ReplyTo, Thread ID
	// Progress, when set, is told how many bytes are stored so far.
	Progress func(done, total int64)
}

// CheckFileSize says, before anything is sent, whether a file of size
// bytes may be sent (one clear sentence when not).
func (c *Client) CheckFileSize(size int64) error { return CheckFileSize(size, c.opts.MaxFileBytes) }

// CheckFileSize says whether a file of size bytes is within limit max.
func CheckFileSize(size, max int64) error {
	if size > max {
		got, limit := FormatBytes(size), FormatBytes(max)
		if got == limit { // just over: the rounded sizes would read the same
			got, limit = strconv.FormatInt(size, 10)+" bytes", strconv.FormatInt(max, 10)+" bytes"
		}
		return fmt.Errorf("%w: it is %s, and files may be %s at most (max_file_bytes)", ErrFileTooLarge, got, limit)
	}
	return nil
}

// MaxFileBytes is the file size limit this client keeps to.
func (c *Client) MaxFileBytes() int64 { return c.opts.MaxFileBytes }

// SendFile stores up's bytes in chunks beside the conversation, then
// sends the message that carries them (signed, with the bytes' SHA-256),
// so the message appears only once the whole file is stored. A failed or
// cancelled upload removes what it stored (what it cannot remove expires
// within an hour) and sends nothing.
func (c *Client) SendFile(ctx context.Context, up Upload) (Sent, error) {
	if err := ValidateConv(up.Channel); err != nil {
		return Sent{}, err
	}
	if err := c.CheckFileSize(up.Size); err != nil {
		return Sent{}, err
	}
	if up.Size < 0 || up.Body == nil {
		return Sent{}, errors.New("a file to send needs its size and its bytes")
	}
	name := filepath.Base(strings.ReplaceAll(up.Name, "\\", "/"))
	if name == "." || name == "/" || name == "" {
		name = "file"
	}
	if len(name) > maxFileName {
		return Sent{}, fmt.Errorf("the file name is %d bytes long; rename the file to at most %d", len(name), maxFileName)
	}
	// The caption keeps to the message rules (length, valid text); an
	// empty one is allowed, so one more character stands in for it.
	if _, err := CleanText(up.Caption+"x", c.opts.MaxMessageBytes); err != nil {
		return Sent{}, err
	}
	var idb [8]byte
	_, _ = rand.Read(idb[:])
	f := &FileInfo{ID: hex.EncodeToString(idb[:]), Name: name, Size: up.Size}
	stream := c.hist.streamOf(up.Channel)
	key := fileKey(stream, c.opts.User, f.ID)
	f.Type = up.Type
	var keep *bytes.Buffer // a picture's bytes, for its preview
	sum, err := c.storeChunks(ctx, key, up, func(head []byte) io.Writer {
		if f.Type == "" {
			f.Type = GuessType(name, head)
		}
		if !f.IsImage() || up.Size > maxPreviewSource {
			return nil
		}
		keep = bytes.NewBuffer(make([]byte, 0, up.Size))
		return keep
	})
	if err != nil {
		c.dropUpload(key)
		return Sent{}, err
	}
	f.SHA256 = hex.EncodeToString(sum)
	if f.Type == "" { // an empty file: its name alone says
		f.Type = GuessType(name, nil)
	}
	if keep != nil {
		// A file that says it is a picture and is none has no preview.
		f.Preview, _ = picture.Preview(keep.Bytes())
	}
	f.raw = encodeFileInfo(f)
	d := Draft{Channel: up.Channel, Text: up.Caption, ReplyTo: up.ReplyTo, Thread: up.Thread, file: f}
	s, err := c.out.store(ctx, d, true, within(c.opts.SendTimeout))
	if err != nil {
		c.dropUpload(key)
		return Sent{}, err
	}
	return s, nil
}

// storeChunks writes up.Body into key's chunks, a few per round trip,
// and returns their SHA-256. It shows the first bytes to started (for
// guessing the type), which may return a writer that is given every byte
// too. Hashing runs on a goroutine of its own, at most a few batches
// behind the sends, so where Redis is fast an upload takes the longer of
// the two, not their sum.
func (c *Client) storeChunks(ctx context.Context, key string, up Upload, started func(head []byte) io.Writer) ([]byte, error) {
	const ring = 3 // batches the hash may be behind
	h := sha256.New()
	var tee io.Writer = h
	free := make(chan []byte, ring)
	for range ring {
		free <- make([]byte, fileChunksInFlight*FileChunk)
	}
	toHash := make(chan []byte, ring)
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		for b := range toHash {
			tee.Write(b) // tee is set before the first batch is handed over
			free <- b[:cap(b)]
		}
	}()
	stop := sync.OnceFunc(func() { close(toHash); <-hashed })
	defer stop()
	var done int64
	for n, batch := int64(0), 0; done < up.Size; batch++ {
		buf := <-free
		got, err := io.ReadFull(up.Body, buf[:min(int64(len(buf)), up.Size-done)])
		if err != nil {
			return nil, fmt.Errorf("read the file: %w", err)
		}
		if batch == 0 {
			if w := started(buf[:min(got, 512)]); w != nil {
				tee = io.MultiWriter(h, w)
			}
		}
		// The hash reads the batch while it travels; the buffer is read
		// into again only after Exec is done with it.
		toHash <- buf[:got]
		pipe := c.rdb.Pipeline()
		args := make([]any, 0, 2*fileChunksInFlight)
		for off := 0; off < got; off += FileChunk {
			args = append(args, strconv.FormatInt(n, 10), buf[off:min(off+FileChunk, got)])
			n++
		}
		pipe.HSet(ctx, key, args...)
		if batch%64 == 0 {
			pipe.PExpire(ctx, key, uploadTTL) // the first batch, and again now and then
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("store the file in %s: %w", Display(up.Channel), CleanRedisError(err))
		}
		done += int64(got)
		if up.Progress != nil {
			up.Progress(done, up.Size)
		}
	}
	// Anything past Size would be a file that grew while it was read.
	var one [1]byte
	if n, _ := up.Body.Read(one[:]); n > 0 {
		return nil, fmt.Errorf("the file grew while it was sent (it was %s); send it again when it is complete", FormatBytes(up.Size))
	}
	stop()
	return h.Sum(nil), nil
}

// dropUpload removes the chunks of an upload that did not become a
// message (with a context of its own: the caller's may be cancelled).
func (c *Client) dropUpload(key string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.rdb.Unlink(ctx, key).Err(); err != nil {
		c.opts.Logger.Warn("could not remove an unfinished upload; it expires within the hour", "err", err)
	}
}

// FetchFile writes the bytes of m's file to w, reading a few chunks per
// round trip, and checks them against the SHA-256 m gives: when they do
// not match (or their size does not), it returns ErrFileMismatch, and
// what it wrote must be thrown away. conv is the conversation m is in.
func (c *Client) FetchFile(ctx context.Context, conv string, m Message, w io.Writer, progress func(done, total int64)) error {
	f := m.File
	if f == nil {
		return ErrNoFile
	}
	if f.Size > c.opts.MaxFileBytes {
		return fmt.Errorf("%w: %q is %s, and this rtchat takes files of %s at most (max_file_bytes)", ErrFileTooLarge, f.Name, FormatBytes(f.Size), FormatBytes(c.opts.MaxFileBytes))
	}
	key := fileKey(c.hist.streamOf(conv), m.User, f.ID)
	h := sha256.New()
	var done int64
	chunks := f.Chunks()
	if chunks == 0 {
		// An empty file has no chunks; its message alone stands for it.
		if sum := hex.EncodeToString(h.Sum(nil)); sum != f.SHA256 {
			return ErrFileMismatch
		}
		return nil
	}
	// The next batches are read while this one is hashed and written, so
	// where Redis is fast a download takes the longer of the two.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch struct {
		vals []any
		err  error
	}
	batches := make(chan batch, 2)
	go func() {
		defer close(batches)
		for i := int64(0); i < chunks; i += fileChunksInFlight {
			fields := make([]string, 0, fileChunksInFlight)
			for j := i; j < min(i+fileChunksInFlight, chunks); j++ {
				fields = append(fields, strconv.FormatInt(j, 10))
			}
			vals, err := c.rdb.HMGet(ctx, key, fields...).Result()
			select {
			case batches <- batch{vals, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for b := range batches {
		if err := b.err; err != nil {
			if redis.HasErrorPrefix(err, "WRONGTYPE") {
				return fmt.Errorf("%w: %s holds what another tool wrote", ErrFileMismatch, key)
			}
			return fmt.Errorf("read %q: %w", f.Name, CleanRedisError(err))
		}
		for _, v := range b.vals {
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("%q: %w", f.Name, ErrFileGone)
			}
			if done+int64(len(s)) > f.Size {
				return fmt.Errorf("%q: %w", f.Name, ErrFileMismatch)
			}
			h.Write(unsafe.Slice(unsafe.StringData(s), len(s))) // read only, not kept: no copy of 256 KiB
			if _, err := io.WriteString(w, s); err != nil {
				return fmt.Errorf("write %q: %w", f.Name, err)
			}
			done += int64(len(s))
		}
		if progress != nil {
			progress(done, f.Size)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("read %q: %w", f.Name, err)
	}
	if done != f.Size || hex.EncodeToString(h.Sum(nil)) != f.SHA256 {
		return fmt.Errorf("%q: %w", f.Name, ErrFileMismatch)
	}
	return nil
}

// GuessType names the media type of a file called name starting with
// head: by its bytes (the sniffing of net/http, the same on every
// machine), and by its extension when the bytes say nothing.
func GuessType(name string, head []byte) string {
	t := http.DetectContentType(head)
	if t == "application/octet-stream" {
		if byExt := mime.TypeByExtension(strings.ToLower(filepath.Ext(name))); byExt != "" {
			return byExt
		}
	}
	return t
}

// SafeFileName is name made safe to save as one file inside a folder:
// the last part of a path (after / or \), without NUL, control or
// bidirectional characters, without leading dots, at most 200 bytes
// (the extension kept); "file" when nothing is left.
func SafeFileName(name string) string {
	if i := strings.LastIndexAny(name, "/\\"); i >= 0 {
		name = name[i+1:] // the last part of a path, as a browser saves it
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == utf8.RuneError:
			b.WriteRune('_')
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r), unicode.Is(unicode.Cf, r):
		case r == ':' || r == '*' || r == '?' || r == '"' || r == '<' || r == '>' || r == '|':
			b.WriteRune('_') // what other file systems refuse
		default:
			b.WriteRune(r)
		}
	}
	s := strings.TrimLeft(strings.TrimSpace(b.String()), ".")
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		ext := filepath.Ext(s)
		if len(ext) > 20 || !utf8.ValidString(ext) {
			ext = ""
		}
		base := s[:200-len(ext)]
		for !utf8.ValidString(base) {
			base = base[:len(base)-1]
		}
		s = base + ext
	}
	if s == "" {
		return "file"
	}
	return s
}

// SaveFile writes a file through write into dir under name (made unique:
// "name (1).ext" when name is taken), or at dest when it is given (never
// over an existing file). The bytes go to a hidden file first and take
// their name only when write succeeds, so a failed or refused fetch
// leaves nothing. It returns the path written.
func SaveFile(ctx context.Context, dir, dest, name string, write func(io.Writer) error) (string, error) {
	if dest != "" {
		dir, name = filepath.Dir(dest), filepath.Base(dest)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("make the download folder: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".rtchat-download-*")
	if err != nil {
		return "", fmt.Errorf("save the file: %w", err)
	}
	defer os.Remove(tmp.Name())
	werr := write(tmp)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = ctx.Err()
	}
	if werr != nil {
		return "", werr
	}
	ext := filepath.Ext(name)
	base := strings.TrimSuffix(name, ext)
	for i := 0; i < 1000; i++ {
		path := filepath.Join(dir, name)
		if i > 0 {
			path = filepath.Join(dir, fmt.Sprintf("%s (%d)%s", base, i, ext))
		}
		// A hard link takes the name only if it is free: nothing is
		// overwritten, even by a race with another program.
		err := os.Link(tmp.Name(), path)
		switch {
		case err == nil:
			return path, nil
		case errors.Is(err, fs.ErrExist) && dest != "":
			return "", fmt.Errorf("%s exists; rtchat does not overwrite files: give another -o PATH", path)
		case !errors.Is(err, fs.ErrExist):
			return "", fmt.Errorf("save the file: %w", err)
		}
	}
	return "", fmt.Errorf("%s and 999 numbered copies of it exist in %s; tidy the folder", name, dir)
}

// ProgressLine is one line of a transfer's progress:
// "sending build.log [█████·····] 2.1 MiB of 4 MiB · 8.4 MiB/s".
func ProgressLine(what string, done, total int64, took time.Duration, width int) string {
	filled := 0
	if total > 0 {
		filled = int(int64(width) * done / total)
	}
	rate := ""
	if s := took.Seconds(); s > 0.05 {
		rate = " · " + FormatBytes(int64(float64(done)/s)) + "/s"
	}
	return fmt.Sprintf("%s [%s%s] %s of %s%s", what, strings.Repeat("█", filled), strings.Repeat("·", width-filled),
		FormatBytes(done), FormatBytes(total), rate)
}

// ExpandHome turns a leading "~/" (or a lone "~") into the home folder.
func ExpandHome(path string) string {
	if rest, ok := strings.CutPrefix(path, "~/"); ok || path == "~" {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return path
}

// FormatBytes writes a size as people read it: "812 B", "48 KiB", "2.5 MiB".
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, i := float64(n), -1
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	suffix := [...]string{"KiB", "MiB", "GiB", "TiB"}[i]
	if v >= 10 {
		return strconv.FormatFloat(v, 'f', 0, 64) + " " + suffix
	}
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0") + " " + suffix
}
