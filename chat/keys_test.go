package chat_test

import (
	"strings"
	"testing"

	"github.com/rtchat/rtchat/chat"
)

func TestKeysShareHashTag(t *testing.T) {
	k := chat.DefaultKeys()
	for _, key := range []string{k.Channel("general"), k.Members("general"), k.Stream("general"), k.Topic("general")} {
		if !strings.Contains(key, "{general}") {
			t.Errorf("key %q lacks the hash tag {general}", key)
		}
	}
	if got := k.Channel("general"); got != "channel:{general}" {
		t.Errorf("Channel = %q", got)
	}
	if got := k.Stream("general"); got != "message:{general}" {
		t.Errorf("Stream = %q", got)
	}
	custom := chat.Keys{ChannelPrefix: "c/", MessagePrefix: "m/", UserPrefix: "u/"}
	if got := custom.Stream("x"); got != "m/{x}" {
		t.Errorf("custom Stream = %q", got)
	}
	if got := custom.UserChannels("bob"); got != "u/{bob}:channels" {
		t.Errorf("custom UserChannels = %q", got)
	}
}
