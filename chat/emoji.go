package chat

import (
	"sort"
	"strings"
)

// shortcodes are the :shortcode: names rtchat knows (GitHub's and Slack's
// spelling), for reactions and for typing emoji in a message.
var shortcodes = map[string]string{
	"+1": "👍", "thumbsup": "👍", "-1": "👎", "thumbsdown": "👎", "ok_hand": "👌", "clap": "👏", "wave": "👋",
	"pray": "🙏", "raised_hands": "🙌", "muscle": "💪", "point_up": "☝️", "point_right": "👉", "eyes": "👀",
	"v": "✌️", "handshake": "🤝", "fist": "✊", "crossed_fingers": "🤞", "writing_hand": "✍️",
	"smile": "😄", "smiley": "😃", "grin": "😁", "joy": "😂", "rofl": "🤣", "laughing": "😆", "wink": "😉",
	"blush": "😊", "slightly_smiling_face": "🙂", "upside_down_face": "🙃", "heart_eyes": "😍", "kissing_heart": "😘",
	"thinking": "🤔", "neutral_face": "😐", "expressionless": "😑", "unamused": "😒", "roll_eyes": "🙄",
	"grimacing": "😬", "relieved": "😌", "pensive": "😔", "sleepy": "😪", "sleeping": "😴", "mask": "😷",
	"nerd_face": "🤓", "sunglasses": "😎", "confused": "😕", "worried": "😟", "frowning": "☹️", "open_mouth": "😮",
	"astonished": "😲", "flushed": "😳", "scream": "😱", "cry": "😢", "sob": "😭", "rage": "😡", "angry": "😠",
	"exploding_head": "🤯", "partying_face": "🥳", "sweat_smile": "😅", "innocent": "😇", "shrug": "🤷",
	"facepalm": "🤦", "zipper_mouth_face": "🤐", "hugs": "🤗", "star_struck": "🤩", "salute": "🫡", "melting_face": "🫠",
	"skull": "💀", "ghost": "👻", "robot": "🤖", "poop": "💩", "clown_face": "🤡", "alien": "👽",
	"heart": "❤️", "orange_heart": "🧡", "yellow_heart": "💛", "green_heart": "💚", "blue_heart": "💙",
	"purple_heart": "💜", "black_heart": "🖤", "broken_heart": "💔", "sparkling_heart": "💖", "100": "💯",
	"fire": "🔥", "sparkles": "✨", "star": "⭐", "zap": "⚡", "boom": "💥", "tada": "🎉", "confetti_ball": "🎊",
	"balloon": "🎈", "gift": "🎁", "trophy": "🏆", "medal": "🏅", "rocket": "🚀", "bulb": "💡", "bell": "🔔",
	"lock": "🔒", "key": "🔑", "link": "🔗", "memo": "📝", "pushpin": "📌", "calendar": "📅", "chart": "📈",
	"warning": "⚠️", "no_entry": "⛔", "x": "❌", "white_check_mark": "✅", "heavy_check_mark": "✔️",
	"question": "❓", "exclamation": "❗", "bangbang": "‼️", "hourglass": "⌛", "stopwatch": "⏱️", "alarm_clock": "⏰",
	"coffee": "☕", "tea": "🍵", "beer": "🍺", "beers": "🍻", "wine_glass": "🍷", "pizza": "🍕", "cake": "🍰",
	"doughnut": "🍩", "cookie": "🍪", "apple": "🍎", "taco": "🌮", "popcorn": "🍿",
	"sun": "☀️", "cloud": "☁️", "rainbow": "🌈", "snowflake": "❄️", "umbrella": "☂️", "ocean": "🌊",
	"dog": "🐶", "cat": "🐱", "fox": "🦊", "bear": "🐻", "panda": "🐼", "unicorn": "🦄", "bug": "🐛", "bee": "🐝",
	"turtle": "🐢", "snail": "🐌", "octopus": "🐙", "crab": "🦀", "whale": "🐳", "bird": "🐦", "penguin": "🐧",
	"seedling": "🌱", "evergreen_tree": "🌲", "cactus": "🌵", "four_leaf_clover": "🍀", "rose": "🌹", "sunflower": "🌻",
	"computer": "💻", "keyboard": "⌨️", "wrench": "🔧", "hammer": "🔨", "gear": "⚙️", "package": "📦",
	"mag": "🔍", "mailbox": "📫", "email": "📧", "phone": "📱", "camera": "📷", "tv": "📺", "books": "📚",
	"moneybag": "💰", "dollar": "💵", "chart_with_upwards_trend": "📈", "chart_with_downwards_trend": "📉",
	"ship": "🚢", "car": "🚗", "airplane": "✈️", "bike": "🚲", "train": "🚆", "construction": "🚧",
	"checkered_flag": "🏁", "triangular_flag": "🚩", "rotating_light": "🚨", "speech_balloon": "💬", "thought_balloon": "💭",
	"zzz": "💤", "see_no_evil": "🙈", "hear_no_evil": "🙉", "speak_no_evil": "🙊", "ok": "🆗", "new": "🆕",
	"arrow_up": "⬆️", "arrow_down": "⬇️", "arrow_right": "➡️", "arrow_left": "⬅️", "recycle": "♻️", "infinity": "♾️",
}

// Emoji returns the emoji a ":shortcode:" names.
func Emoji(code string) (string, bool) {
	name, ok := strings.CutPrefix(code, ":")
	if !ok {
		return "", false
	}
	name, ok = strings.CutSuffix(name, ":")
	if !ok {
		return "", false
	}
	e, ok := shortcodes[strings.ToLower(name)]
	return e, ok
}

// Shortcodes returns every ":name:" that starts with prefix (":" and
// all, as typed), sorted; for Tab completion.
func Shortcodes(prefix string) []string {
	p := strings.ToLower(strings.TrimPrefix(prefix, ":"))
	var out []string
	for name := range shortcodes {
		if strings.HasPrefix(name, p) {
			out = append(out, ":"+name+":")
		}
	}
	sort.Strings(out)
	return out
}
