package hooks

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
)

// Slash commands work as Slack's (see chat.RunCommand for the window's
// side). A run the window published, signed by its person, is taken by
// the first server to claim its trigger id and POSTed as a form to the
// command's URL with Slack's fields: token, team_id, team_domain,
// channel_id, channel_name, user_id, user_name, command, text,
// api_app_id, response_url, trigger_id. The answer (JSON with "text",
// "attachments", "blocks" and "response_type", or plain text) goes to
// the person alone ("ephemeral", the default) or into the conversation
// as the command's message ("in_channel"). The response_url takes up to
// maxDelayed more answers within delayedFor:
//
//	rtchat:hook:run:<trigger>     String  the run is taken (5 min)
//	rtchat:hook:reply:<trigger>   Hash    hook, secret (SHA-256), user, conv, command, text, left (30 min)

const (
	// commandTimeout bounds the POST of a run (Slack's is 3 s); a
	// command is an action, so it is never tried twice.
	commandTimeout = 5 * time.Second
	// maxDelayed and delayedFor bound the answers a response_url takes.
	maxDelayed = 5
	delayedFor = 30 * time.Minute
	// maxRunning is how many runs one server POSTs at once; more are
	// answered "busy".
	maxRunning = 64
)

// CommandSpec is a slash command to add.
type CommandSpec struct {
	// Command is what is typed: "/deploy".
	Command string
	// URL is where a run is POSTed.
	URL string
	// Name is the author of its answers in a conversation ("deploy",
	// shown BOT deploy; default: the command without its slash).
	Name string
	// Description and Usage are what F1 shows beside it.
	Description, Usage string
}

// AddCommand adds slash command spec.Command for every window on the
// server (keys: its schema) and returns it with the token its POSTs
// carry (shown once), for the service to check.
func AddCommand(ctx context.Context, rdb redis.UniversalClient, keys chat.Keys, spec CommandSpec, by string) (*Hook, string, error) {
	if err := chat.ValidateCommand(spec.Command); err != nil {
		return nil, "", err
	}
	if err := checkURL(spec.URL); err != nil {
		return nil, "", err
	}
	if spec.Name == "" {
		spec.Name = strings.TrimPrefix(spec.Command, "/")
	}
	h, token, err := add(ctx, rdb, spec.Name, nil, by, &Outgoing{URL: spec.URL}, spec.Command)
	if err != nil {
		return nil, "", err
	}
	c := chat.ServerCommand{Name: spec.Command, Description: spec.Description, Usage: spec.Usage, Hook: chat.HookAuthor(h.Name)}
	if err := chat.PutCommand(ctx, rdb, keys, c); err != nil {
		_, _ = Delete(context.WithoutCancel(ctx), rdb, keys, h.ID)
		return nil, "", err
	}
	return h, token, nil
}

// takeCommands takes the runs the windows publish until ctx ends.
func (d *Dispatcher) takeCommands(ctx context.Context) {
	ps := d.s.rdb.Subscribe(ctx, d.s.opts.Keys.CommandRuns())
	defer ps.Close()
	running := make(chan struct{}, maxRunning)
	var warned time.Time // any account may publish junk: a line in the log a minute at most
	for ch := ps.Channel(); ; {
		var m *redis.Message
		select {
		case <-ctx.Done():
			return
		case m = <-ch:
		}
		r, err := chat.ParseCommandRun(m.Payload)
		if err != nil {
			if time.Since(warned) > time.Minute {
				warned = time.Now()
				d.s.opts.Logger.Warn("dropped a command run (more are dropped without a word for a minute)", "err", err)
			}
			continue
		}
		select {
		case running <- struct{}{}:
			d.wg.Go(func() {
				defer func() { <-running }()
				d.s.runCommand(ctx, d.http, r)
			})
		default:
			d.s.opts.Logger.Warn("too many command runs at once; one dropped", "command", r.Command, "user", r.User)
		}
	}
}

// runCommand checks run r, claims it, POSTs it and delivers the answer.
func (s *Server) runCommand(ctx context.Context, client *http.Client, r chat.CommandRun) {
	log := s.opts.Logger.With("command", r.Command, "user", r.User, "trigger", r.Trigger)
	// Only its person's run is taken: the service acts on user_name. An
	// unverified one gets no answer (it would go to whoever it names).
	if err := chat.VerifyCommandRun(ctx, s.rdb, s.opts.Keys, r); err != nil {
		log.Warn("dropped a command run not known to be its user's", "err", err)
		return
	}
	claimed, err := s.claim(ctx, hookPrefix+"run:"+r.Trigger, s.token, 5*time.Minute)
	if err != nil || !claimed {
		return // another server takes it (with Redis away, nobody can answer)
	}
	h, err := Find(ctx, s.rdb, r.Command)
	if err != nil {
		log.Warn("a run of a command that has no hook", "err", err)
		return
	}
	reply := func(text string, failed bool) {
		if err := s.reply(ctx, h, r, text, failed); err != nil {
			log.Warn("answer a command", "err", err)
		}
	}
	id, name, err := s.where(ctx, r)
	if err != nil {
		reply(err.Error(), true)
		return
	}
	if ok, err := s.allow(ctx, h); err != nil || !ok {
		reply(r.Command+" is run too often right now; try again in a moment", true)
		return
	}
	secret := newSecret()
	record := hookPrefix + "reply:" + r.Trigger
	pipe := s.rdb.TxPipeline()
	pipe.HSet(ctx, record, "hook", h.ID, "secret", sum(secret), "user", r.User, "conv", r.Conv, "command", r.Command, "text", r.Text, "left", maxDelayed)
	pipe.Expire(ctx, record, delayedFor)
	if _, err := pipe.Exec(ctx); err != nil {
		reply(r.Command+" could not run: Redis did not take it; try again", true)
		return
	}
	form := url.Values{"token": {h.Token}, "team_id": {"rtchat"}, "team_domain": {"rtchat"}, "channel_id": {id}, "channel_name": {name},
		"user_id": {r.User}, "user_name": {r.User}, "command": {r.Command}, "text": {r.Text}, "api_app_id": {h.ID},
		"response_url": {strings.TrimSuffix(s.opts.PublicURL, "/") + "/commands/" + r.Trigger + "/" + secret}, "trigger_id": {r.Trigger}}
	pctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(pctx, http.MethodPost, h.Target, strings.NewReader(form.Encode()))
	if err != nil {
		reply(r.Command+"'s URL is not usable; tell an admin", true)
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		log.Warn("a command's URL did not answer", "err", err)
		reply(fmt.Sprintf("%s did not answer within %s; try again later, or tell an admin", r.Command, commandTimeout), true)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		log.Warn("a command's URL refused the run", "status", resp.StatusCode)
		reply(fmt.Sprintf("%s failed: its service answered %s", r.Command, resp.Status), true)
		return
	}
	if err := s.deliver(ctx, h, r, resp.Header.Get("Content-Type"), body); err != nil && !errors.Is(err, errNoText) {
		log.Warn("deliver a command's answer", "err", err)
		if errors.Is(err, errInvalidPayload) {
			reply(r.Command+"'s service answered something rtchat cannot read; tell an admin", true)
		}
	}
}

// where checks that r's user may use its conversation and returns the
// conversation's id and name as Slack's fields carry them.
func (s *Server) where(ctx context.Context, r chat.CommandRun) (id, name string, err error) {
	k := s.opts.Keys
	if _, dm := chat.PeerOf(r.Conv); dm {
		return r.Conv, "directmessage", nil // its user is one of the two: the run is signed
	}
	hash, pname := k.Channel(r.Conv), r.Conv
	if p, private := chat.PrivateName(r.Conv); private {
		member, err := s.rdb.SIsMember(ctx, k.PrivateMembers(p), r.User).Result()
		if err != nil {
			return "", "", fmt.Errorf("%s could not run: Redis did not answer; try again", r.Command)
		}
		if !member {
			return "", "", fmt.Errorf("you are not in %s, so %s cannot run there", chat.Display(r.Conv), r.Command)
		}
		hash, pname = k.PrivateChannel(p), p
	}
	id, err = s.rdb.HGet(ctx, hash, "id").Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return "", "", fmt.Errorf("%s could not run: Redis did not answer; try again", r.Command)
	}
	if id == "" {
		return "", "", fmt.Errorf("%s does not exist, so %s cannot run there", chat.Display(r.Conv), r.Command)
	}
	return id, pname, nil
}

// deliver shows a command's answer: a message in r's conversation (as
// the command's hook) when it asks for "in_channel" — in a direct
// conversation, which no hook may write, to the person alone — else to
// the person alone. An empty answer shows nothing (errNoText).
func (s *Server) deliver(ctx context.Context, h *Hook, r chat.CommandRun, contentType string, body []byte) error {
	if strings.TrimSpace(string(body)) == "" {
		return errNoText
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	var text string
	inChannel := false
	if mt == "application/json" || mt == "application/x-www-form-urlencoded" || strings.HasPrefix(strings.TrimSpace(string(body)), "{") {
		if mt != "application/x-www-form-urlencoded" {
			mt = "application/json"
		}
		p, err := parsePayload(mt, body)
		if err != nil {
			return err
		}
		if text, err = p.message(); err != nil {
			return err
		}
		inChannel = p.ResponseType == "in_channel"
	} else {
		text = strings.TrimSpace(mrkdwn(strings.ToValidUTF8(string(body), "\uFFFD"))) // plain text: Slack shows it to the person
	}
	text = cut(text, s.opts.MaxMessageBytes-200)
	if _, dm := chat.PeerOf(r.Conv); inChannel && !dm {
		_, err := s.send(ctx, h, r.Conv, fmt.Sprintf("%s ran `%s`\n%s", r.User, strings.TrimSpace(r.Command+" "+r.Text), text), "")
		return err
	}
	return s.reply(ctx, h, r, text, false)
}

// reply tells r's person alone, signed as h.
func (s *Server) reply(ctx context.Context, h *Hook, r chat.CommandRun, text string, failed bool) error {
	hc, err := s.client(h)
	if err != nil {
		return err
	}
	if err := s.registered(ctx, hc); err != nil {
		return err
	}
	return chat.SendCommandReply(ctx, s.rdb, s.opts.Keys, hc.signer, r.User,
		chat.CommandReply{Trigger: r.Trigger, Command: r.Command, Conv: r.Conv, From: chat.HookAuthor(h.Name), Text: text, Failed: failed})
}

// dummyReply stands in for an unknown response_url's record, so that an
// unknown one and a wrong secret cost the same.
var dummyReply = map[string]string{"secret": dummySum}

// respond takes a delayed answer on a run's response_url.
func (s *Server) respond(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	trigger, secret := r.PathValue("trigger"), r.PathValue("secret")
	status, word := s.takeResponse(ctx, w, r, trigger, secret)
	s.opts.Logger.Info("response_url POST", "trigger", trigger, "status", status, "answer", word, "from", r.RemoteAddr)
}

func (s *Server) takeResponse(ctx context.Context, w http.ResponseWriter, req *http.Request, trigger, secret string) (int, string) {
	body, status, word := readBody(w, req)
	if body == nil {
		return status, word
	}
	record := hookPrefix + "reply:" + trigger
	rec, err := s.rdb.HGetAll(ctx, record).Result()
	if err != nil {
		unavailable(w)
		return http.StatusServiceUnavailable, "redis_unavailable"
	}
	want := rec
	if len(rec) == 0 {
		want = dummyReply
	}
	match := subtle.ConstantTimeCompare([]byte(sum(secret)), []byte(want["secret"])) == 1
	switch {
	case len(rec) == 0:
		answer(w, http.StatusNotFound, "expired_url")
		return http.StatusNotFound, "expired_url"
	case !match:
		answer(w, http.StatusForbidden, "invalid_token")
		return http.StatusForbidden, "invalid_token"
	}
	left, err := s.rdb.HIncrBy(ctx, record, "left", -1).Result()
	if err != nil {
		unavailable(w)
		return http.StatusServiceUnavailable, "redis_unavailable"
	}
	if left < 0 {
		answer(w, http.StatusGone, "used_url")
		return http.StatusGone, "used_url"
	}
	h, err := Get(ctx, s.rdb, rec["hook"])
	if errors.Is(err, ErrNoHook) || (err == nil && h.Command != rec["command"]) {
		answer(w, http.StatusNotFound, "no_service")
		return http.StatusNotFound, "no_service"
	} else if err != nil {
		unavailable(w)
		return http.StatusServiceUnavailable, "redis_unavailable"
	}
	run := chat.CommandRun{Trigger: trigger, Command: rec["command"], Text: rec["text"], User: rec["user"], Conv: rec["conv"]}
	ctype := req.Header.Get("Content-Type")
	if ctype == "" {
		ctype = "application/json" // Slack's response_url takes JSON
	}
	switch err := s.deliver(ctx, h, run, ctype, body); {
	case errors.Is(err, errNoText), errors.Is(err, errInvalidPayload):
		s.rdb.HIncrBy(context.WithoutCancel(ctx), record, "left", 1) // not an answer: it does not count
		answer(w, http.StatusBadRequest, err.Error())
		return http.StatusBadRequest, err.Error()
	case err != nil:
		unavailable(w)
		return http.StatusServiceUnavailable, err.Error()
	}
	answer(w, http.StatusOK, "ok")
	return http.StatusOK, "ok, " + strconv.FormatInt(left, 10) + " left"
}
