package chat_test

import (
	"errors"
	"testing"
	"time"

	"github.com/rtchat/rtchat/chat"
)

func TestBackoff(t *testing.T) {
	max := 2 * time.Second
	for n := 1; n <= 10; n++ {
		d := chat.Backoff(n, max)
		if d <= 0 || d > max {
			t.Fatalf("Backoff(%d) = %v, want in (0, %v]", n, d, max)
		}
	}
	if d := chat.Backoff(1, max); d > 100*time.Millisecond {
		t.Fatalf("first backoff %v is over 100ms", d)
	}
	if d := chat.Backoff(20, max); d < max/2 {
		t.Fatalf("late backoff %v is under half the cap", d)
	}
}

func TestRetryable(t *testing.T) {
	if chat.Retryable(chat.ErrMessageTooLong) || chat.Retryable(chat.ErrNoSuchChannel) || chat.Retryable(nil) {
		t.Fatal("validation errors must not be retried")
	}
	if !chat.Retryable(errors.New("dial tcp 127.0.0.1:1: connection refused")) {
		t.Fatal("connection errors must be retried")
	}
}
