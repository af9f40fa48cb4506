package chat

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// rtchat's Lua programs run in one of two ways (docs/DESIGN.md, "Scripts
// and functions"):
//
//   - as functions of rtchat's library (FUNCTION LOAD by an admin,
//     FCALL/FCALL_RO by everyone): Redis 7 keeps them in its data and
//     replicates them, and an account may run them without being allowed
//     EVAL, so it can run no Lua of its own (one "while true do end" froze
//     every client);
//   - with EVALSHA (EVAL when the server has not cached it yet), where
//     the server has no Functions: the embedded server, Redis 6.
//
// The library's name and its functions' names carry a hash of every
// program's text, so clients of two rtchat versions never call each
// other's functions: a new version's functions are missing until they are
// loaded, and old ones stay for the clients that use them.

// script is one of rtchat's Lua programs. Its text uses KEYS and ARGV as
// EVAL gives them; as a function it gets them as its two parameters.
//
// A program is its prelude (functions of its own that need nothing of a
// call) and its body (what runs on each call). In the library luaCommon
// and each prelude are defined once, when the library loads, and only
// the body runs on a call: Lua makes a closure for every function a call
// defines, which cost the send 0.5 µs a call of Redis's time. With EVAL
// the whole text (luaCommon, the prelude, the body) runs on each call.
type script struct {
	// name is the function's name in the library, without the version.
	name string
	// prelude and body are the program's own Lua text.
	prelude, body string
	// src is the text EVAL runs: luaCommon, the prelude and the body.
	src string
	// readOnly marks a program that writes nothing: it runs with FCALL_RO
	// (on a replica too) and is flagged no-writes.
	readOnly bool
	// sha is the SHA-1 of src, for EVALSHA.
	sha string
}

func newScript(name, prelude, body string, readOnly bool) *script {
	src := luaCommon + prelude + body
	sum := sha1.Sum([]byte(src))
	return &script{name: name, prelude: prelude, body: body, src: src, readOnly: readOnly, sha: hex.EncodeToString(sum[:])}
}

// The programs, in the library's order. Their texts are next to the code
// that calls them.
var (
	sendScript   = newScript("send", sendPrelude, sendScriptSource, false)
	createScript = newScript("create", "", createScriptSource, false)
	topicScript  = newScript("topic", "", topicScriptSource, false)
	markScript   = newScript("mark", "", markScriptSource, false)
	pageScript   = newScript("page", "", pageScriptSource, true)
	threadScript = newScript("thread", "", threadScriptSource, true)
	aroundScript = newScript("around", "", aroundScriptSource, true)
	searchScript = newScript("search", "", searchScriptSource, true)
	rangeScript  = newScript("range", "", rangeScriptSource, true)
	idsScript    = newScript("ids", "", idsScriptSource, true)
)

func programs() []*script {
	return []*script{sendScript, createScript, topicScript, markScript, pageScript, threadScript, aroundScript, searchScript, rangeScript, idsScript}
}

// libraryVersion is the hash that names this build's library: the first
// 10 hex digits of the SHA-256 of every program's name, flags and text.
var libraryVersion = func() string {
	h := sha256.New()
	for _, s := range programs() {
		fmt.Fprintf(h, "%s\x00%t\x00%s\x00", s.name, s.readOnly, s.src)
	}
	// (Each src starts with luaCommon, so the hash covers it.)
	return hex.EncodeToString(h.Sum(nil))[:10]
}()

// LibraryPrefix starts the name of every library of rtchat's, of every
// version.
const LibraryPrefix = "rtchat_"

// Library returns the name and the source of this rtchat's function
// library, as FUNCTION LOAD takes it.
func Library() (name, source string) {
	name = LibraryPrefix + libraryVersion
	var b strings.Builder
	fmt.Fprintf(&b, "#!lua name=%s\n%s", name, luaCommon)
	for _, s := range programs() {
		flags := "{}"
		if s.readOnly {
			flags = "{'no-writes'}"
		}
		// do … end: a prelude's names are its program's alone.
		fmt.Fprintf(&b, "do\n%sredis.register_function{function_name='%s', flags=%s, callback=function(KEYS, ARGV)\n%s\nend}\nend\n",
			s.prelude, s.function(), flags, strings.TrimSpace(s.body))
	}
	return name, b.String()
}

// function is s's name in the library.
func (s *script) function() string { return LibraryPrefix + libraryVersion + "_" + s.name }

// ErrNoLibrary says that the server runs accounts (no EVAL for them) but
// has not got this rtchat's functions.
var ErrNoLibrary = errors.New("this Redis has not got the functions of this rtchat version; ask an admin to run 'rtchat admin install'")

// ScriptMode says how a client runs rtchat's scripts.
type ScriptMode int

const (
	// ScriptsAuto runs them as functions, loads the library where the
	// connection may (an open server's default user) and falls back to
	// EVALSHA where the server has no Functions.
	ScriptsAuto ScriptMode = iota
	// ScriptsEval runs them with EVALSHA: for the embedded server, which
	// has no Functions (and no accounts).
	ScriptsEval
)

// scripts runs rtchat's programs on one server or cluster. It is safe
// for concurrent use.
type scripts struct {
	rdb redis.UniversalClient
	// eval is set once programs run with EVALSHA.
	eval atomic.Bool
	// loading serialises loads of the library.
	loading sync.Mutex
}

func newScripts(rdb redis.UniversalClient, mode ScriptMode) *scripts {
	s := &scripts{rdb: rdb}
	s.eval.Store(mode == ScriptsEval)
	return s
}

// command builds the call of s with keys and args: FCALL (FCALL_RO) of
// its function, or EVALSHA.
func (r *scripts) command(ctx context.Context, s *script, keys []string, args []any) *redis.Cmd {
	argv := make([]any, 0, 3+len(keys)+len(args))
	switch {
	case r.eval.Load():
		argv = append(argv, "evalsha", s.sha)
	case s.readOnly:
		argv = append(argv, "fcall_ro", s.function())
	default:
		argv = append(argv, "fcall", s.function())
	}
	argv = append(argv, len(keys))
	for _, k := range keys {
		argv = append(argv, k)
	}
	return redis.NewCmd(ctx, append(argv, args...)...)
}

// run calls s once and, when the server lacks it, makes it available
// (see recover) and calls it again.
func (r *scripts) run(ctx context.Context, s *script, keys []string, args ...any) *redis.Cmd {
	cmd := r.command(ctx, s, keys, args)
	_ = r.rdb.Process(ctx, cmd)
	return r.retry(ctx, cmd, s, keys, args, nil)
}

// runOnce is run for a call that go-redis must not resend by itself (a
// send: its retries go through the duplicate search).
func (r *scripts) runOnce(ctx context.Context, s *script, keys []string, args ...any) *redis.Cmd {
	cmd := r.command(ctx, s, keys, args)
	_ = r.rdb.Process(ctx, noRetry{cmd})
	return r.retry(ctx, cmd, s, keys, args, func(c *redis.Cmd) redis.Cmder { return noRetry{c} })
}

// retry calls s again when cmd failed because the server lacked it, once
// recover made it available; wrap, when set, wraps each new command.
func (r *scripts) retry(ctx context.Context, cmd *redis.Cmd, s *script, keys []string, args []any, wrap func(*redis.Cmd) redis.Cmder) *redis.Cmd {
	// At most: FCALL unknown → EVALSHA not cached → EVAL.
	for range 3 {
		again, err := r.recover(ctx, cmd)
		if err != nil {
			cmd.SetErr(err)
			return cmd
		}
		if !again {
			return cmd
		}
		next := r.command(ctx, s, keys, args)
		if redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
			// The server's script cache lacks it: send its text.
			argv := append([]any{"eval", s.src, len(keys)}, stringsToAny(keys)...)
			next = redis.NewCmd(ctx, append(argv, args...)...)
		}
		var c redis.Cmder = next
		if wrap != nil {
			c = wrap(next)
		}
		_ = r.rdb.Process(ctx, c)
		cmd = next
	}
	return cmd
}

func stringsToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// recover makes a program the server lacked available: after "unknown
// command" for FCALL (no Functions: Redis 6, the embedded server) it
// switches to EVALSHA; after "Function not found" it loads the library
// where the connection may (an open server), and otherwise says that an
// admin must (ErrNoLibrary); NOSCRIPT needs only the script's text. It
// reports whether the call is worth making again.
//
// Whether FCALL was unknown is read off the failed call itself, not off
// the switch: calls made at once (a pipeline, the channels joined at
// start) all went out as FCALL, and every one of them is worth making
// again after the first one switched.
func (r *scripts) recover(ctx context.Context, cmd *redis.Cmd) (again bool, _ error) {
	err := cmd.Err()
	switch {
	case err == nil:
		return false, nil
	case redis.HasErrorPrefix(err, "NOSCRIPT"):
		return r.eval.Load(), nil
	case isFunctionCall(cmd) && redis.HasErrorPrefix(err, "unknown command"):
		r.eval.Store(true)
		return true, nil
	case !r.eval.Load() && redis.HasErrorPrefix(err, "Function not found"):
		if lerr := r.load(ctx); lerr != nil {
			if redis.IsPermissionError(lerr) {
				return false, ErrNoLibrary
			}
			return false, fmt.Errorf("load rtchat's functions: %w", CleanRedisError(lerr))
		}
		return true, nil
	}
	return false, nil
}

// isFunctionCall reports whether cmd is an FCALL or FCALL_RO.
func isFunctionCall(cmd *redis.Cmd) bool {
	name := strings.ToLower(cmd.Name())
	return name == "fcall" || name == "fcall_ro"
}

// load loads this rtchat's library on every master (FUNCTION LOAD
// REPLACE: loading it twice is harmless).
func (r *scripts) load(ctx context.Context) error {
	r.loading.Lock()
	defer r.loading.Unlock()
	return LoadLibrary(ctx, r.rdb)
}

// LoadLibrary loads this rtchat's function library on rdb: on every
// master of a cluster (replicas get it from their master), or on the one
// server. Loading it again is harmless.
func LoadLibrary(ctx context.Context, rdb redis.UniversalClient) error {
	_, src := Library()
	load := func(ctx context.Context, n *redis.Client) error {
		return n.FunctionLoadReplace(ctx, src).Err()
	}
	if cl, ok := rdb.(*redis.ClusterClient); ok {
		return cl.ForEachMaster(ctx, load)
	}
	return rdb.FunctionLoadReplace(ctx, src).Err()
}

// queuedScript is a call of a program queued on a pipeline; result gives
// its reply once the pipeline ran, calling it again on its own when the
// server lacked it.
type queuedScript struct {
	r    *scripts
	s    *script
	cmd  *redis.Cmd
	keys []string
	args []any
}

// processor is a pipeline, or a client (which runs a command at once).
type processor interface {
	Process(ctx context.Context, cmd redis.Cmder) error
}

// queue queues a call of s on pipe; given a client rather than a
// pipeline, it runs it at once.
func (r *scripts) queue(ctx context.Context, pipe processor, s *script, keys []string, args ...any) queuedScript {
	q := queuedScript{r: r, s: s, keys: keys, args: args, cmd: r.command(ctx, s, keys, args)}
	_ = pipe.Process(ctx, q.cmd)
	return q
}

// result returns the call's reply (see queuedScript).
func (q queuedScript) result(ctx context.Context) *redis.Cmd {
	return q.r.retry(ctx, q.cmd, q.s, q.keys, q.args, nil)
}
