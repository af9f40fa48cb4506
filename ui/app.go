package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/themes"
)

// Sizes and pauses of the window, in one place.
const (
	// listWidth is the channel list's width in the sidebar layout (at
	// least listMinWidth in a narrow window, hidden under sidebarHide
	// columns); stackedListHeight its height in the stacked one.
	listWidth         = 22
	listMinWidth      = 12
	sidebarHide       = 60
	stackedListHeight = 5
	// maxInputRows is the most rows the input grows to.
	maxInputRows = 6
	// eventBatch is the most Backend events applied per redraw.
	eventBatch = 1000
	// tickEvery is how often typing notices are expired.
	tickEvery = 500 * time.Millisecond
	// exitWait is how long Run waits for its workers after the window
	// closed.
	exitWait = 2 * time.Second
)

// Options configure an App.
type Options struct {
	// Backend is the chat core (required).
	Backend Backend
	// StateFile keeps, across restarts, each conversation's unsent text,
	// the conversation that was open and where it was scrolled ("": only
	// while the window runs).
	StateFile string
	// Theme colours the screen; Layout is "sidebar" (default) or "stacked".
	Theme  themes.Theme
	Layout string
	// Mouse turns mouse support on.
	Mouse bool
	// Bidi makes the window lay right-to-left text (Persian, Arabic,
	// Hebrew) out itself, in visual order with Arabic letters joined: the
	// terminal does not (see internal/bidi). What is stored, sent and
	// copied stays in logical order.
	Bidi bool
	// Bell rings the terminal bell when new messages mention the user.
	Bell bool
	// Keys binds actions to keys (see package keymap); nil means the
	// defaults.
	Keys map[string][]string
	// MaxLines is how many lines each channel's log keeps in memory (0:
	// no limit); older ones load again from the stream on scroll-up.
	MaxLines int
	// Version, Server and LogFile are shown in the header, /whoami and /log.
	Version, Server, LogFile string
	// Embedded says the server is the in-memory embedded one.
	Embedded bool
	// Accounts says the server enforces accounts (the user is signed in
	// as an account of their own).
	Accounts bool
	// Notices are system lines shown at start.
	Notices []string
	// Screen replaces the terminal (tests pass a simulation screen).
	Screen tcell.Screen
	// Started says Screen was started already (Init; see Splash): the
	// window does not start it again.
	Started bool
	// Terminal receives what the window sends the terminal besides the
	// screen: OSC 52 (copy to the clipboard) and OSC 777 and 9
	// (notifications). Nil: copying says it cannot, and no notification
	// is sent there. Tmux wraps those sequences for tmux to pass on.
	Terminal io.Writer
	Tmux     bool
	// NoSkinTones says the terminal cannot draw an emoji with its skin
	// tone in the emoji's two cells (tmux before 3.4; see
	// CombinesSkinTones): the window draws such emoji without the tone.
	NoSkinTones bool
	// NotifyCommand, when set, is run for each notification with the
	// title and the body as two more arguments (never through a shell).
	NotifyCommand []string
	// Highlights are words that count as mentions (besides those stored
	// with /highlight).
	Highlights []string
	// HideJoins leaves out the lines that say who joined or left a
	// channel.
	HideJoins bool
	// TimestampFormat lays out the log's times (a Go time layout; default
	// "15:04").
	TimestampFormat string
	// OpenURL opens a link in the browser, or a file (a path) with the
	// desktop's opener (nil: opening says it cannot).
	OpenURL func(url string) error
	// Images is "auto" (pictures drawn with Graphics, else with
	// half-blocks), "blocks" (half-blocks only), "off" (a file line
	// only), or a protocol's name (drawn with Graphics).
	Images string
	// Graphics is what the terminal draws pictures with (DetectGraphics,
	// or the protocol the configuration names).
	Graphics Graphics
	// DownloadDir is where s saves files ("": saving says it cannot).
	DownloadDir string
	// RunEditor lets the user edit the file at path (nil: $VISUAL,
	// $EDITOR or vi in the terminal).
	RunEditor func(path string) error
}

// App is the full-screen client. Create it with New and call Run once.
type App struct {
	opts Options
	be   Backend
	me   string
	app  *tview.Application
	st   *styles

	bars *bars
	list *channelList
	logv *logView
	// gfx draws pictures at full fidelity where the terminal can (nil:
	// half-blocks only).
	gfx      *graphics
	input    *tview.TextArea
	inputRow *tview.Flex // the flex that holds the input, for resizing
	middle   *tview.Flex // the list, the log and a thread beside it (sidebar layout)
	pages    *tview.Pages
	overlay  *overlay // the open overlay, if any

	// model is what the window knows, without widgets (model.go).
	model *model
	// sys is the log shown while no channel is open: rtchat's own lines.
	sys   *channelLog
	notes chan string // lines from Notify, shown by the pump

	// The window's parts, each over the App's widgets: what it reaches
	// the person with (attention.go), message selection (select.go), the
	// input line (input.go), read markers (marks.go), composing a reply,
	// edit or reaction (compose.go), the thread pane (thread.go) and
	// search (searchui.go). Slash commands are functions in a table
	// (commands.go).
	att      *attention
	sel      *selection
	prompt   *prompt
	marks    marker
	comp     *composer
	threads  *threads
	searcher *searcher
	keep     *keeper
	members  *memberPane
	files    *transfers
	servers  serverCommands // the server's slash commands (servercmds.go)

	bindings map[string][]string // action → keys
	keys     map[string]string   // key → action
	actions  map[string]func(a *App)

	// title is the terminal title set.
	title string
	// sidebarFlipped is set when the sidebar key hid the list in a wide
	// window or showed it in a narrow one; listShown is the width the
	// list has now.
	sidebarFlipped bool
	listShown      int

	// themeFile is the theme file to watch (a themeWatch; file "" for a
	// shipped theme); the UI goroutine sets it, the watcher reads it.
	themeFile atomic.Value

	ctx    context.Context
	cancel context.CancelFunc
	// workers counts the goroutines the App owns; once ending is set (under
	// workersMu) no more start, so that waiting for them never races a
	// new one (WaitGroup.Add during Wait).
	workers   sync.WaitGroup
	workersMu sync.Mutex
	ending    bool
}

// selection is the window's part that selects a message and acts on it
// (reply, thread, edit, delete, react, copy, open a link, jump).
// messageKeys maps keys to those actions while a message is selected.
type selection struct {
	a           *App
	messageKeys map[string]string
}

// prompt is the window's part that reads the input line: keys, Enter,
// the recall of sent inputs (history, histPos) and tab completion.
type prompt struct {
	a        *App
	history  []string // sent inputs, oldest first
	histPos  int
	pending  string // the text being typed while earlier inputs are recalled
	complete completion
}

// marker is the window's part that moves the read markers in Redis as
// the person reads.
type marker struct{ a *App }

// composer is the window's part that composes a reply, an edit or a
// reaction (composing), in the input line or the external editor.
type composer struct {
	a         *App
	composing compose
}

// threads is the window's part that shows one thread beside the log
// (thread, nil when none is open) and counts what is new in the user's
// threads; marksRead is set once the threads' read markers were read at
// the start, counted holds the threads counted since (thread.go).
type threads struct {
	a         *App
	thread    *threadPane
	marksRead bool
	counted   map[string]bool
	view      *threadsView // the threads view, while open (threadsview.go)
}

// searcher is the window's part that searches a conversation and shows
// the hits (search, nil when none is shown).
type searcher struct {
	a      *App
	search *searchView
	// back is the list (search results, mentions) that opened a message
	// of backConv in the log: Esc there shows it again.
	back     *overlay
	backConv string
}

// New builds the App's widgets; nothing runs until Run.
func New(opts Options) *App {
	bidiInApp.Store(opts.Bidi)
	a := &App{
		opts:     opts,
		be:       opts.Backend,
		me:       opts.Backend.User(),
		app:      tview.NewApplication(),
		st:       newStyles(opts.Theme),
		model:    newModel(opts.Backend.User(), opts.Highlights),
		sys:      newChannelLog(""),
		notes:    make(chan string, 8),
		bindings: opts.Keys,
		keys:     bindKeys(opts.Keys, false),
		actions:  actionHandlers(),
	}
	a.keep = newKeeper(a)
	a.members = newMemberPane(a)
	a.att = &attention{a: a, attn: newNotifier()}
	a.sel = &selection{a: a}
	a.prompt = &prompt{a: a}
	a.marks = marker{a}
	a.comp = &composer{a: a}
	a.threads = &threads{a: a}
	a.searcher = &searcher{a: a}
	a.files = &transfers{a: a}
	a.att.focused.Store(true) // until the terminal says otherwise
	if a.opts.TimestampFormat == "" {
		a.opts.TimestampFormat = defaultTimeFormat
	}
	a.sel.messageKeys = bindKeys(opts.Keys, true)
	for _, n := range opts.Notices {
		a.sys.append(newSystemLine(lineSystem, n))
	}
	screen := opts.Screen
	if screen == nil {
		// tview would make one at Run; the window makes it to learn of
		// focus changes (a failure shows at Run).
		screen, _ = tcell.NewScreen()
	}
	if opts.Images == "auto" || slices.Contains(Protocols, opts.Images) {
		a.gfx = newGraphics(opts.Graphics)
	}
	if screen != nil && a.gfx != nil {
		a.gfx.screen = screen
		a.gfx.allowed = a.picturesShown
		screen = &graphicsScreen{Screen: screen, g: a.gfx}
	}
	if screen != nil {
		a.app.SetScreen(&focusScreen{Screen: screen, focused: &a.att.focused, started: opts.Started, noSkinTones: opts.NoSkinTones})
	}
	a.build()
	return a
}

func (a *App) build() {
	a.bars = newBars()
	a.list = newChannelList(a.st, a.selectChannel, func() { a.app.SetFocus(a.input) })
	a.logv = newLogView(a.st, a.loadOlder, a.marks.markShown)
	a.logv.SetLog(a.sys)
	a.logv.onClick = func(seq uint32) { a.sel.clickLine(a.logv, seq) }
	a.logv.onPicture = a.fetchPicture
	a.logv.gfx = a.gfx
	a.input = tview.NewTextArea().SetPlaceholder("Type a message, or /help")
	a.input.SetInputCapture(a.prompt.inputKey)
	a.input.SetChangedFunc(a.inputChanged)

	var body *tview.Flex
	if a.opts.Layout == "stacked" {
		a.inputRow = tview.NewFlex().SetDirection(tview.FlexRow).
			AddItem(a.bars.header, 1, 0, false).
			AddItem(a.list, stackedListHeight, 0, false).
			AddItem(rtlInput{a.input}, 1, 0, true).
			AddItem(a.logv, 0, 1, false).
			AddItem(a.bars.status, 1, 0, false)
		body = a.inputRow
	} else {
		a.inputRow = tview.NewFlex().SetDirection(tview.FlexRow).
			AddItem(a.logv, 0, 1, false).
			AddItem(rtlInput{a.input}, 1, 0, true)
		a.listShown = listWidth
		a.middle = tview.NewFlex().
			AddItem(a.list, listWidth, 0, false).
			AddItem(a.inputRow, 0, 1, true)
		body = tview.NewFlex().SetDirection(tview.FlexRow).
			AddItem(a.bars.header, 1, 0, false).
			AddItem(a.middle, 0, 1, true).
			AddItem(a.bars.status, 1, 0, false)
	}
	a.pages = tview.NewPages().AddPage("main", body, true, true)
	a.app.SetRoot(a.pages, true).SetFocus(a.input)
	a.app.EnableMouse(a.opts.Mouse).EnablePaste(true)
	if !a.opts.Mouse {
		// The terminal keeps its own selection; ignore any mouse report.
		a.app.SetMouseCapture(func(ev *tcell.EventMouse, action tview.MouseAction) (*tcell.EventMouse, tview.MouseAction) {
			return nil, action
		})
	}
	a.app.SetInputCapture(a.globalKey)
	a.app.SetBeforeDrawFunc(a.beforeDraw)
	a.applyTheme(a.opts.Theme)
	a.refreshBars()
}

// Run shows the window until the user quits or ctx ends.
func (a *App) Run(ctx context.Context) error {
	a.ctx, a.cancel = context.WithCancel(ctx)
	defer a.cancel()
	a.spawn(a.pump)
	a.spawn(a.startup)
	a.spawn(a.watchTheme)
	a.spawn(a.ticker)
	// Stop when the caller's context ends (SIGTERM, SIGHUP).
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-ctx.Done():
			a.stopAfterWorkers()
		case <-stopped:
		}
	}()
	err := a.app.Run()
	a.cancel()
	// The loop has ended: the input is this goroutine's to read.
	a.keep.leave(a.model.current)
	if derr := a.keep.save(); derr != nil {
		err = errors.Join(err, derr)
	}
	// Workers stop on the cancelled context; one stuck posting to a loop
	// that has ended (a lost terminal) must not hold the exit up.
	done := make(chan struct{})
	go func() { a.waitWorkers(); close(done) }()
	select {
	case <-done:
	case <-time.After(exitWait):
	}
	if err != nil {
		return fmt.Errorf("run the terminal window: %w", err)
	}
	return nil
}

// Notify shows a system line in the current channel. It is for goroutines
// other than the UI goroutine, and never blocks: the event pump shows the
// line (a burst of more than a few notices drops the excess).
func (a *App) Notify(format string, args ...any) {
	select {
	case a.notes <- fmt.Sprintf(format, args...):
	default:
	}
}

// quit ends the App from the UI goroutine: workers first, then the loop.
func (a *App) quit() {
	a.cancel()
	go a.stopAfterWorkers()
}

func (a *App) stopAfterWorkers() {
	a.cancel()
	a.waitWorkers()
	a.app.Stop()
}

// waitWorkers lets no more workers start and waits for those running.
func (a *App) waitWorkers() {
	a.workersMu.Lock()
	a.ending = true
	a.workersMu.Unlock()
	a.workers.Wait()
}

// spawn runs f on a goroutine the App owns and waits for at exit.
// Once the App ends, nothing more starts.
func (a *App) spawn(f func()) {
	a.workersMu.Lock()
	defer a.workersMu.Unlock()
	if !a.ending {
		a.workers.Go(f)
	}
}

// background runs a blocking call off the UI goroutine and posts its
// result handler back to it.
func (a *App) background(work func(ctx context.Context) func()) {
	a.spawn(func() {
		if then := work(a.ctx); then != nil {
			a.post(then)
		}
	})
}

// try runs a blocking call in the background; when it fails, the error
// line says what was being done ("could not <what>: <error>"), and when it
// succeeds, then runs on the UI goroutine (then may be nil).
func (a *App) try(what string, work func(ctx context.Context) error, then func()) {
	a.background(func(ctx context.Context) func() {
		err := work(ctx)
		return func() {
			if err != nil {
				a.errorLine("could not %s: %v", what, err)
				return
			}
			if then != nil {
				then()
			}
		}
	})
}

// post runs f on the UI goroutine and redraws. Only goroutines other than
// the UI goroutine may call it.
func (a *App) post(f func()) {
	if a.ctx.Err() != nil {
		return
	}
	a.app.QueueUpdateDraw(f)
}

// update runs f on the UI goroutine and redraws only when f reports that
// it changed something. Only goroutines other than the UI goroutine may
// call it.
func (a *App) update(f func() bool) {
	if a.ctx.Err() != nil {
		return
	}
	a.app.QueueUpdate(func() {
		if f() {
			a.app.ForceDraw()
		}
	})
}

// pump hands Backend events to the UI goroutine in order, in batches so
// that a flood costs one redraw per batch, not one per message.
func (a *App) pump() {
	events := a.be.Events()
	for {
		var batch []chat.Event
		select {
		case <-a.ctx.Done():
			return
		case note := <-a.notes:
			a.post(func() { a.systemLine("%s", note) })
			continue
		case ev, ok := <-events:
			if !ok {
				return
			}
			batch = append(batch, ev)
		}
	more:
		for len(batch) < eventBatch {
			select {
			case ev, ok := <-events:
				if !ok {
					break more
				}
				batch = append(batch, ev)
			default:
				break more
			}
		}
		a.post(func() {
			for _, ev := range batch {
				a.handleEvent(ev)
			}
			// Read markers, unread counts, pending sends and the link
			// state: once a batch.
			a.marks.markShown()
			a.refresh()
		})
	}
}

// startup joins the user's channels (or general) and shows the first.
// What the window opens with (channels, settings) came with the client's
// start; the joins go out as one batch, so over a network 51 channels
// take the round trips of one (docs/PERFORMANCE.md, "A Redis across the
// network"); away and the channel list's details are read after.
func (a *App) startup() {
	o, err := a.be.Opening(a.ctx)
	if err != nil && a.ctx.Err() == nil {
		a.post(func() {
			a.errorLine("could not read all of your channels and settings (%v); going on with what could be read", err)
		})
	}
	// The settings first: channels show with their levels and pins.
	a.post(func() { a.att.applySettings(o.Settings) })
	mine := o.Channels
	if len(mine) == 0 {
		mine = []string{"general"}
	}
	joined, errs := a.be.JoinAll(a.ctx, mine)
	if a.ctx.Err() != nil {
		return
	}
	a.post(func() {
		for _, name := range mine {
			if err := errs[name]; err != nil {
				a.errorLine("could not join %s: %v", chat.Display(name), err)
			}
		}
		for i, ch := range joined {
			a.joinedChannel(ch, a.keep.first(ch.Name, i, joined))
		}
	})
	// Then what the first view does not need.
	var wg sync.WaitGroup
	wg.Go(func() { a.readAway(mine) })
	wg.Go(a.refreshChannels)
	wg.Go(a.threads.loadThreadMarks)
	wg.Go(a.loadServerCommands)
	wg.Wait()
}

// readAway reads whether the people of the user's direct conversations,
// and the user, are away.
func (a *App) readAway(mine []string) {
	peers := []string{a.me} // you may still be away from last time
	for _, name := range mine {
		if p, dm := chat.PeerOf(name); dm {
			peers = append(peers, p)
		}
	}
	if away, err := a.be.Away(a.ctx, peers); err == nil && len(away) > 0 {
		a.post(func() { maps.Copy(a.model.away, away); a.refresh() })
	}
}

// refreshChannels re-reads the channel list (from a worker goroutine).
func (a *App) refreshChannels() {
	list, err := a.be.ListChannels(a.ctx)
	if err != nil && list == nil {
		return
	}
	a.post(func() {
		if err != nil {
			a.errorLine("%v", err) // some channels could not be read
		}
		seen := map[string]bool{}
		for _, info := range list {
			c := a.channel(info.Name)
			c.info, c.known = info, true
			seen[info.Name] = true
		}
		for name, c := range a.model.channels {
			if !seen[name] && !c.joined {
				c.known = false // deleted
			}
		}
		a.refresh()
	})
}

// channel returns the state of channel name, creating it.
func (a *App) channel(name string) *channel {
	c := a.model.channels[name]
	if c == nil {
		c = newChannel(a.newLog(name))
		a.model.channels[name] = c
	}
	return c
}

// newLog makes the log of conversation name (a channel's, or a thread's):
// it knows the user, checks authors, finds mentions and shows times as
// the window does.
func (a *App) newLog(name string) *channelLog {
	l := newChannelLog(name)
	l.me, l.maxLines, l.verify, l.callsMe, l.timeFormat = a.me, a.opts.MaxLines, a.be.Verify, a.model.isMention, a.opts.TimestampFormat
	return l
}

// shown returns the channel on screen, or nil.
func (m *model) shown() *channel { return m.channels[m.current] }

// sidebarWidth is the channel list's width in a window width columns
// wide: listWidth, narrower in a narrow window, none under sidebarHide —
// the other way round when flipped by the sidebar key.
func sidebarWidth(width int, flipped bool) int {
	if (width < sidebarHide) != flipped {
		return 0
	}
	return min(listWidth, max(listMinWidth, width/5))
}

// fitSidebar gives the sidebar the width that suits the screen (from the
// draw hook: it changes only the layout).
func (a *App) fitSidebar(screen tcell.Screen) {
	if a.middle == nil {
		return
	}
	width, _ := screen.Size()
	w := sidebarWidth(width, a.sidebarFlipped)
	if w == a.listShown {
		return
	}
	a.listShown = w
	a.middle.ResizeItem(a.list, w, 0)
	if w == 0 && a.list.HasFocus() {
		a.app.SetFocus(a.input)
	}
}
