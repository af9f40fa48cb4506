package ui

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/themes"
)

// Options configure an App.
type Options struct {
	// Backend is the chat core (required).
	Backend Backend
	// Theme colours the screen; Layout is "sidebar" (default) or "stacked".
	Theme  themes.Theme
	Layout string
	// Mouse turns mouse support on.
	Mouse bool
	// Bell rings the terminal bell when new messages mention the user.
	Bell bool
	// Keys binds actions to keys (see package keymap); nil means the
	// defaults.
	Keys map[string][]string
	// Version, Server and LogFile are shown in the header, /whoami and /log.
	Version, Server, LogFile string
	// Embedded says the server is the in-memory embedded one.
	Embedded bool
	// Notices are system lines shown at start.
	Notices []string
	// Screen replaces the terminal (tests pass a simulation screen).
	Screen tcell.Screen
}

// App is the full-screen client. Create it with New and call Run once.
type App struct {
	opts Options
	be   Backend
	app  *tview.Application
	st   *styles

	header, status *tview.TextView
	list           *ChannelList
	logv           *LogView
	input          *tview.TextArea
	inputRow       *tview.Flex // the flex that holds the input, for resizing
	pages          *tview.Pages
	overlay        *overlay // the open overlay, if any

	logs     map[string]*channelLog
	channels map[string]chat.Channel // every channel, from the last refresh
	joined   map[string]bool
	members  map[string][]string // member names per channel, for completion
	authors  map[string]bool     // every author seen, for completion
	current  string
	conn     string
	notices  []string    // system lines waiting for the first channel
	notes    chan string // lines from Notify, shown by the pump

	bindings map[string][]string // action → keys
	keys     map[string]string   // key → action

	// online lists who is online in the channel (polled); typing who is
	// typing where, and until when.
	online map[string][]string
	typing map[string]map[string]time.Time
	// Read markers on their way to Redis: the newest wanted per channel,
	// and the channels with a MarkRead under way.
	markWant map[string]entryID
	marking  map[string]bool
	// bell asks the next frame to ring; title is the terminal title set.
	bell  bool
	title string
	// search is the search being shown, if any.
	search *searchView

	history  []string // sent inputs, oldest first
	histPos  int
	complete completion

	// themeFile is the theme file to watch (a themeWatch; file "" for a
	// shipped theme); the UI goroutine sets it, the watcher reads it.
	themeFile atomic.Value

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New builds the App's widgets; nothing runs until Run.
func New(opts Options) *App {
	a := &App{
		opts:     opts,
		be:       opts.Backend,
		app:      tview.NewApplication(),
		st:       newStyles(opts.Theme),
		logs:     map[string]*channelLog{},
		channels: map[string]chat.Channel{},
		joined:   map[string]bool{},
		members:  map[string][]string{},
		authors:  map[string]bool{},
		conn:     "connecting",
		notices:  opts.Notices,
		notes:    make(chan string, 8),
		bindings: opts.Keys,
		keys:     bindKeys(opts.Keys),
		online:   map[string][]string{},
		typing:   map[string]map[string]time.Time{},
		markWant: map[string]entryID{},
		marking:  map[string]bool{},
	}
	if opts.Screen != nil {
		a.app.SetScreen(opts.Screen)
	}
	a.build()
	return a
}

func (a *App) build() {
	// Both interpret style tags; everything they show passes escape.
	a.header = tview.NewTextView().SetDynamicColors(true).SetWrap(false)
	a.status = tview.NewTextView().SetDynamicColors(true).SetWrap(false)
	a.list = NewChannelList(a.st, a.selectChannel, func() { a.app.SetFocus(a.input) })
	a.logv = NewLogView(a.st, a.loadOlder)
	a.input = tview.NewTextArea().SetPlaceholder("Type a message, or /help")
	a.input.SetInputCapture(a.inputKey)
	a.input.SetChangedFunc(a.inputChanged)

	var body *tview.Flex
	if a.opts.Layout == "stacked" {
		a.inputRow = tview.NewFlex().SetDirection(tview.FlexRow).
			AddItem(a.header, 1, 0, false).
			AddItem(a.list, 5, 0, false).
			AddItem(a.input, 1, 0, true).
			AddItem(a.logv, 0, 1, false).
			AddItem(a.status, 1, 0, false)
		body = a.inputRow
	} else {
		a.inputRow = tview.NewFlex().SetDirection(tview.FlexRow).
			AddItem(a.logv, 0, 1, false).
			AddItem(a.input, 1, 0, true)
		middle := tview.NewFlex().
			AddItem(a.list, 22, 0, false).
			AddItem(a.inputRow, 0, 1, true)
		body = tview.NewFlex().SetDirection(tview.FlexRow).
			AddItem(a.header, 1, 0, false).
			AddItem(middle, 0, 1, true).
			AddItem(a.status, 1, 0, false)
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
	// Workers stop on the cancelled context; one stuck posting to a loop
	// that has ended (a lost terminal) must not hold the exit up.
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
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
	a.wg.Wait()
	a.app.Stop()
}

// spawn runs f on a goroutine the App owns and waits for at exit.
func (a *App) spawn(f func()) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		f()
	}()
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
		for len(batch) < 1000 {
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
			// Unread counts, pending sends and the link state: once a batch.
			a.updateList()
			a.updateBars()
		})
	}
}

// startup joins the user's channels (or general) and shows the first.
func (a *App) startup() {
	mine, err := a.be.MyChannels(a.ctx)
	if err != nil {
		a.post(func() { a.errorLine("could not read your channels (%v); type /join NAME to open one", err) })
		return
	}
	if len(mine) == 0 {
		mine = []string{"general"}
	}
	var first string
	for _, name := range mine {
		ch, err := a.be.Join(a.ctx, name)
		if a.ctx.Err() != nil {
			return
		}
		if err != nil {
			a.post(func() { a.errorLine("could not join #%s: %v", name, err) })
			continue
		}
		a.post(func() { a.joinedChannel(ch, first == "") })
		if first == "" {
			first = name
		}
	}
	a.refreshChannels()
}

// refreshChannels re-reads the channel list (from a worker goroutine).
func (a *App) refreshChannels() {
	list, err := a.be.ListChannels(a.ctx)
	if err != nil {
		return
	}
	a.post(func() {
		a.channels = map[string]chat.Channel{}
		for _, c := range list {
			a.channels[c.Name] = c
		}
		a.updateList()
		a.updateBars()
	})
}
