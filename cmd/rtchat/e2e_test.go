package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/internal/bidi"
	"github.com/rtchat/rtchat/internal/redistest"
)

// buildRtchat compiles the rtchat binary once per test into a temp dir.
func buildRtchat(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rtchat")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// tmux drives terminal windows on a tmux server of the test's own.
type tmux struct {
	t      *testing.T
	socket string
}

func newTmux(t *testing.T) *tmux {
	t.Helper()
	redistest.SkipUnless(t, "tmux")
	tm := &tmux{t: t, socket: fmt.Sprintf("rtchat-test-%d-%d", os.Getpid(), time.Now().UnixNano())}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", tm.socket, "kill-server").Run() })
	return tm
}

func (tm *tmux) run(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// window starts command in a new 120×40 window named name, with env.
func (tm *tmux) window(name string, env []string, command string) {
	tm.t.Helper()
	args := []string{"new-session", "-d", "-s", name, "-x", "120", "-y", "40"}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	tm.run(append(args, command+"; sleep 60")...)
}

func (tm *tmux) screen(name string) string { return tm.run("capture-pane", "-p", "-t", name) }

func (tm *tmux) keys(name string, keys ...string) {
	tm.run(append([]string{"send-keys", "-t", name}, keys...)...)
}

// typeLine types text literally and presses Enter.
func (tm *tmux) typeLine(name, text string) {
	tm.run("send-keys", "-t", name, "-l", text)
	tm.run("send-keys", "-t", name, "Enter")
}

func (tm *tmux) waitFor(name, want string) {
	tm.t.Helper()
	redistest.Eventually(tm.t, 15*time.Second, fmt.Sprintf("window %s to show %q", name, want), func() error {
		if s := tm.screen(name); !strings.Contains(s, want) {
			return fmt.Errorf("it shows:\n%s", s)
		}
		return nil
	})
}

// userEnv is the environment of one user's window: own home, no Redis
// settings from the developer's shell.
func userEnv(t *testing.T, user string) []string {
	home := t.TempDir()
	return []string{"HOME=" + home, "XDG_CONFIG_HOME=" + home + "/config", "XDG_STATE_HOME=" + home + "/state",
		"RTCHAT_USER=" + user, "REDIS_URL=", "REDIS_HOST=", "REDIS_PORT=", "REDIS_PASSWORD=", "TERM=xterm-256color"}
}

func TestTmuxTwoUsersChat(t *testing.T) {
	tm := newTmux(t)
	srv := redistest.Start(t, redistest.RealOnly())
	bin := buildRtchat(t)
	for _, u := range []string{"alice", "bob"} {
		tm.window(u, userEnv(t, u), bin+" --redis "+srv.URL())
	}
	tm.waitFor("alice", "#general · subscribed · connected · alice")
	tm.waitFor("bob", "#general · subscribed · connected · bob")
	tm.typeLine("alice", "/join team")
	tm.typeLine("bob", "/join team")
	tm.waitFor("alice", "#team · subscribed")
	tm.waitFor("bob", "#team · subscribed")
	tm.typeLine("alice", "hello bob, سلام [red]x[-]")
	// In tmux rtchat lays the Persian word out itself (bidi = "auto"):
	// right to left, its letters joined.
	tm.waitFor("bob", "alice: hello bob, "+bidi.VisualString("سلام", bidi.RightToLeft)+" [red]x[-]")
	tm.typeLine("bob", "hi alice")
	tm.waitFor("alice", "bob: hi alice")
	tm.typeLine("alice", "/quit")
	tm.typeLine("bob", "/quit")
}

func TestTmuxEmbeddedZeroSetup(t *testing.T) {
	tm := newTmux(t)
	if c, err := net.DialTimeout("tcp", "127.0.0.1:6379", 200*time.Millisecond); err == nil {
		_ = c.Close()
		if redistest.Required() {
			t.Fatal("something listens on 127.0.0.1:6379; the zero-setup test needs it free")
		}
		t.Skip("something listens on 127.0.0.1:6379; the zero-setup test needs it free")
	}
	bin := buildRtchat(t)
	tm.window("host", userEnv(t, "alice"), bin)
	tm.waitFor("host", "embedded (in memory)")
	tm.waitFor("host", "messages live in memory only")
	tm.window("guest", userEnv(t, "bob"), bin)
	tm.waitFor("guest", "embedded (in memory)")
	tm.waitFor("guest", "#general · subscribed")
	// bob follows the channel from a shell too: the same user as the
	// window that will host next, which registers bob again on the new
	// server before this tail can find him missing.
	tm.window("tail", userEnv(t, "bob"), bin+" tail -f general")
	tm.typeLine("host", "before the tail")
	tm.waitFor("tail", "alice: before the tail")
	tm.typeLine("host", "hi from the host")
	tm.waitFor("guest", "alice: hi from the host")
	tm.typeLine("guest", "hi from the guest")
	tm.waitFor("host", "bob: hi from the guest")
	tm.window("third", userEnv(t, "carol"), bin)
	tm.waitFor("third", "bob: hi from the guest")

	// The host quits: the guest takes over hosting, says history is gone,
	// and keeps chatting. What the windows showed went with the server:
	// lost, not forged.
	tm.typeLine("host", "/quit")
	tm.waitFor("guest", "this window hosts it now")
	tm.waitFor("third", "restarted by another window")
	tm.waitFor("guest", "lost with the server's data") // shown live, then gone
	// carol's window read them as history when it opened: gone as well.
	tm.waitFor("third", "lost with the server's data and removed")
	tm.waitFor("third", "caught up with every channel")
	tm.waitFor("tail", "the server lost its data")
	tm.waitFor("tail", "were lost with the server's data")
	for _, w := range []string{"guest", "third", "tail"} {
		screen := tm.screen(w)
		if strings.Contains(screen, "someone published it") || strings.Contains(screen, "nothing was missed") {
			t.Fatalf("%s calls messages lost with the server made up, or nothing missed:\n%s", w, screen)
		}
		if w != "tail" && strings.Contains(screen, "alice: hi from the host") {
			t.Fatalf("%s still shows a message lost with the server:\n%s", w, screen)
		}
	}
	tm.typeLine("guest", "still here")
	tm.waitFor("guest", "bob: still here")
	tm.waitFor("third", "bob: still here")
	tm.typeLine("guest", "/quit")
	tm.typeLine("third", "/quit")
}
