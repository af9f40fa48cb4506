package ui

import (
	"fmt"
	"testing"
)

func TestMarkup(t *testing.T) {
	show := func(s string) string {
		text, spans := markup(s)
		out := text
		for _, sp := range spans {
			out += fmt.Sprintf(" [%d %q", sp.kind, text[sp.start:sp.end])
			if sp.url != "" {
				out += " " + sp.url
			}
			out += "]"
		}
		return out
	}
	for in, want := range map[string]string{
		"plain words":                        "plain words",
		"run `make test` now":                fmt.Sprintf("run make test now [%d \"make test\"]", runCode),
		"*bold* and _it_":                    fmt.Sprintf("bold and it [%d \"bold\"] [%d \"it\"]", runBold, runItalic),
		"snake_case_name and 2*3*4":          "snake_case_name and 2*3*4",
		"a * b * c":                          "a * b * c",
		"see https://example.com/a?b=1.":     fmt.Sprintf("see https://example.com/a?b=1. [%d \"https://example.com/a?b=1\" https://example.com/a?b=1]", runLink),
		"(http://x.org)":                     fmt.Sprintf("(http://x.org) [%d \"http://x.org\" http://x.org]", runLink),
		"nohttps://x":                        "nohttps://x",
		"```\nfunc main() {\n}\n```":         fmt.Sprintf("func main() {\n} [%d \"func main() {\\n}\"]", runCode),
		"before\n```go\n*x* `y`\n```\nafter": fmt.Sprintf("before\n*x* `y`\nafter [%d \"*x* `y`\"]", runCode),
		"```\nunclosed *x*":                  fmt.Sprintf("unclosed *x* [%d \"unclosed *x*\"]", runCode),
		"`unclosed":                          "`unclosed",
		"**":                                 "**",
	} {
		if got := show(in); got != want {
			t.Errorf("markup(%q)\n got %s\nwant %s", in, got, want)
		}
	}
}
