package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"text/template"
)

// runCompletion prints a completion script for bash, zsh or fish: the
// commands, each command's flags (read from its own --help, so they never
// drift), and channel names, which the script asks the server for when
// they are wanted ("rtchat channels --names", with the user's config).
func runCompletion(ctx context.Context, args []string, std stdio) error {
	if len(args) != 1 || !slices.Contains([]string{"bash", "zsh", "fish"}, args[0]) {
		fmt.Fprintln(std.err, "Usage: rtchat completion bash|zsh|fish\n  Print a shell completion script. bash: source <(rtchat completion bash); zsh: source <(rtchat completion zsh); fish: rtchat completion fish | source")
		return errUsage
	}
	data := completionData{Flags: map[string]string{}}
	for _, c := range commands() {
		data.Commands = append(data.Commands, c.name)
		data.Flags[c.name] = strings.Join(flagsOf(ctx, c), " ")
		if strings.Contains(c.args, "CHANNEL") {
			data.ChannelCommands = append(data.ChannelCommands, c.name)
		}
	}
	data.Flags[""] = strings.Join(flagsOf(ctx, command{run: func(ctx context.Context, args []string, std stdio) error { return runChat(ctx, args, std) }}), " ")
	tmpl := map[string]string{"bash": bashCompletion, "zsh": "autoload -U +X bashcompinit && bashcompinit\n" + bashCompletion, "fish": fishCompletion}[args[0]]
	t := template.Must(template.New(args[0]).Funcs(template.FuncMap{"join": strings.Join, "split": strings.Fields, "fishFlag": func(s string) string {
		if name, ok := strings.CutPrefix(s, "--"); ok {
			return "-l " + name
		}
		return "-s " + strings.TrimPrefix(s, "-")
	}}).Parse(tmpl))
	return t.Execute(std.out, data)
}

type completionData struct {
	Commands, ChannelCommands []string
	// Flags are each command's flags ("--json -f"), "" for the window's.
	Flags map[string]string
}

// flagsOf reads c's flags from its --help.
func flagsOf(ctx context.Context, c command) []string {
	var help bytes.Buffer
	_ = c.run(ctx, []string{"--help"}, stdio{in: strings.NewReader(""), out: &help, err: &help})
	var out []string
	sc := bufio.NewScanner(&help)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "  -") {
			out = append(out, strings.Fields(line)[0])
		}
	}
	return out
}

const bashCompletion = `# rtchat completion (bash); load it with: source <(rtchat completion bash)
_rtchat() {
	local cur=${COMP_WORDS[COMP_CWORD]} cmd=""
	local i
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		{{join .Commands "|"}}) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [[ $cur == -* ]]; then
		case $cmd in
{{range $c, $f := .Flags}}		{{if $c}}{{$c}}{{else}}""{{end}}) COMPREPLY=($(compgen -W "{{$f}}" -- "$cur")) ;;
{{end}}		esac
		return
	fi
	case $cmd in
	"") COMPREPLY=($(compgen -W "{{join .Commands " "}} help --version" -- "$cur")) ;;
	completion) COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")) ;;
	{{join .ChannelCommands "|"}}) COMPREPLY=($(compgen -W "$(rtchat channels --names 2>/dev/null)" -- "${cur#\#}")) ;;
	esac
}
complete -F _rtchat rtchat
`

const fishCompletion = `# rtchat completion (fish); load it with: rtchat completion fish | source
complete -c rtchat -f
complete -c rtchat -n __fish_use_subcommand -a "{{join .Commands " "}} help"
complete -c rtchat -n "__fish_seen_subcommand_from completion" -a "bash zsh fish"
complete -c rtchat -n "__fish_seen_subcommand_from {{join .ChannelCommands " "}}" -a "(rtchat channels --names 2>/dev/null)"
{{range $c, $f := .Flags}}{{if $c}}{{range (split $f)}}complete -c rtchat -n "__fish_seen_subcommand_from {{$c}}" {{fishFlag .}}
{{end}}{{end}}{{end}}`
