// Package layout holds no code: its test checks the import rules that
// docs/DESIGN.md ("Layout") states, with the go command's own answer.
package layout
