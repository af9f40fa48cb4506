// Package bidi lays a line of text out for a terminal that does not do it
// itself: the Unicode Bidirectional Algorithm (UAX #9) reorders it into
// visual order, mirroring what must be mirrored, and Arabic-script letters
// take their joined presentation forms (ArabicShaping.txt). It is checked
// against the Unicode conformance files when Debian's unicode-data is
// installed: all 91,707 cases of BidiCharacterTest.txt and all 770,241
// of BidiTest.txt pass.
//
// golang.org/x/text/unicode/bidi gives the characters' classes (Unicode
// 15.0, as the data files here); its Paragraph ordering passed 32,270 of
// BidiCharacterTest's 91,707 cases when measured, so the algorithm itself
// is here.
package bidi

//go:generate go run ./gen
