package ui

import (
	"testing"

	"github.com/gdamore/tcell/v2"
)

// What the window's screen hands the terminal: a joiner at the end of a
// cluster (an emoji sequence being typed) never, since tmux joins the
// next character it prints, wherever that is, to the cluster; and under
// a tmux before 3.4 no skin tone.
func TestScreenLeavesOutTrailingJoinersAndOldTmuxSkinTones(t *testing.T) {
	for _, c := range []struct {
		noTones        bool
		put, want      string
		setContent     bool
		primary        rune
		combining      []rune
		wantSetContent string
	}{
		{put: "👩\u200d", want: "👩"},
		{put: "👩\u200d💻", want: "👩\u200d💻"},
		{put: "👍🏽", want: "👍🏽"},
		{noTones: true, put: "👍🏽", want: "👍"},
		{noTones: true, put: "👩🏽\u200d💻", want: "👩\u200d💻"},
		{setContent: true, primary: '👩', combining: []rune{0x200d}, wantSetContent: "👩"},
		{setContent: true, noTones: true, primary: '👋', combining: []rune{0x1F3FF}, wantSetContent: "👋"},
	} {
		sim := tcell.NewSimulationScreen("UTF-8")
		if err := sim.Init(); err != nil {
			t.Fatal(err)
		}
		sim.SetSize(10, 1)
		s := &focusScreen{Screen: sim, noSkinTones: c.noTones}
		want := c.want
		if c.setContent {
			s.SetContent(0, 0, c.primary, c.combining, tcell.StyleDefault)
			want = c.wantSetContent
		} else {
			s.Put(0, 0, c.put, tcell.StyleDefault)
		}
		s.Show()
		cells, _, _ := sim.GetContents()
		if got := string(cells[0].Runes); got != want {
			t.Errorf("noTones=%v %q%q: the terminal got %q, want %q", c.noTones, c.put, string(c.primary)+string(c.combining), got, want)
		}
		sim.Fini()
	}
}
