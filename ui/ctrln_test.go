package ui_test

import (
	"testing"

	"github.com/gdamore/tcell/v2"
)

func TestCtrlNAndAltDigitSwitch(t *testing.T) {
	f := conversation()
	s := showFake(t, f, 100, 24)
	s.waitText(t, "● random")
	s.waitText(t, "  ops") // the list is complete: Alt+3 has a third item
	s.key(tcell.KeyCtrlN, tcell.ModCtrl)
	s.waitText(t, "#random · subscribed")
	s.key(tcell.KeyCtrlP, tcell.ModCtrl)
	s.waitText(t, "#general · subscribed")
	s.InjectKey(tcell.KeyRune, '2', tcell.ModAlt)
	s.waitText(t, "#random · subscribed")
	s.InjectKey(tcell.KeyRune, '3', tcell.ModAlt) // ops: not joined yet, so it joins
	s.waitText(t, "#ops · subscribed")
}
