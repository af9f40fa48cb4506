// Package shell holds the shell example bot; this test runs it as the
// README tells a user to: sh, jq and the rtchat binary on PATH.
package shell

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/redistest"
)

// The shell bot answers a person's !ping in its thread, and neither a
// hook's nor its own.
func TestShellPingBot(t *testing.T) {
	redistest.SkipUnless(t, "jq")
	redistest.SkipUnless(t, "sh")
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	bin := t.TempDir()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(bin, "rtchat"), "../../cmd/rtchat").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	home := t.TempDir()
	bot := exec.Command("sh", "pingbot.sh", "general")
	bot.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_STATE_HOME="+filepath.Join(home, "state"),
		"REDIS_URL=redis://"+srv.Addr, "RTCHAT_USER=pingbot")
	errPath := filepath.Join(home, "stderr")
	stderr, err := os.Create(errPath)
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	bot.Stderr = stderr
	// The pipeline's processes share a group of their own: stop them all.
	bot.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}

	alice := chattest.New(t, chat.Options{Redis: rdb, User: "alice"})
	hook := chattest.New(t, chat.Options{Redis: rdb, User: chat.HookAuthor("ci")})
	itself := chattest.New(t, chat.Options{Redis: rdb, User: "pingbot"})
	if _, _, err := alice.CreateChannel(ctx, "general", ""); err != nil {
		t.Fatal(err)
	}
	if err := bot.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-bot.Process.Pid, syscall.SIGKILL)
		_ = bot.Wait()
	})
	// tail -f is live once it subscribed to the channel.
	redistest.WaitSubscribers(t, rdb, chat.DefaultKeys().Stream("general"), 1)

	say := func(c *chat.Client, text string) chat.Sent {
		t.Helper()
		sent, err := c.BroadcastMessage(ctx, "general", text)
		if err != nil {
			t.Fatal(err)
		}
		return sent
	}
	fromHook, fromItself, notPing := say(hook, "!ping"), say(itself, "!ping"), say(alice, "!ping now")
	ping := say(alice, "!ping")
	var pong chat.Message
	redistest.Eventually(t, 30*time.Second, "the bot's pong", func() error {
		_, replies, err := alice.Thread(ctx, "general", ping.ID)
		if err == nil && len(replies) == 0 {
			said, _ := os.ReadFile(errPath)
			err = fmt.Errorf("no pong yet; the bot's stderr: %q", said)
		}
		if err == nil {
			pong = replies[0]
		}
		return err
	})
	if pong.Text != "pong" || pong.User != "pingbot" || pong.Thread != ping.ID {
		t.Fatalf("the thread of !ping starts with %+v", pong)
	}
	// The bot answers in order: had it answered the hook's !ping, its
	// own or another text, those answers would be stored before this one.
	for what, m := range map[string]chat.Sent{"the hook's !ping": fromHook, "its own !ping": fromItself, "!ping now": notPing} {
		if _, replies, err := alice.Thread(ctx, "general", m.ID); err != nil || len(replies) > 0 {
			t.Fatalf("the bot answered %s: %+v (%v)", what, replies, err)
		}
	}
	// Its pong, shown to it live, is not answered either.
	time.Sleep(500 * time.Millisecond)
	if _, replies, err := alice.Thread(ctx, "general", ping.ID); err != nil || len(replies) != 1 {
		t.Fatalf("the thread holds %+v (%v)", replies, err)
	}
}
