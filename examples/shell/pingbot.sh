#!/bin/sh
# pingbot.sh: answers "!ping" in CHANNEL with "pong", in the message's
# thread, reading `rtchat tail -f --json` (needs jq). It skips bots
# ("bot": true), so two bots never answer each other.
#   REDIS_URL=redis://127.0.0.1:6379 RTCHAT_USER=pingbot sh examples/shell/pingbot.sh general
set -eu
channel="${1:?usage: pingbot.sh CHANNEL}"
rtchat tail -f -n 0 --json "$channel" |
  jq --unbuffered -r 'select(.bot != true and .user != env.RTCHAT_USER and .text == "!ping") | .id' |
  while read -r id; do
    rtchat send --reply-to "$id" --thread "$channel" pong >/dev/null
  done
