package web

import (
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// Diff line kinds.
const (
	DiffSame    = "same"
	DiffAdded   = "add"
	DiffRemoved = "del"
	DiffSkipped = "skip" // unchanged lines left out; Text counts them
)

// DiffLine is one line of a comparison of two texts. Templates escape
// Text like any other value.
type DiffLine struct {
	Kind string
	Text string
	N    int // DiffSkipped: how many lines are left out
}

// LineDiff compares old and new line by line. Unchanged runs are cut down
// to context lines next to each change; nil means the texts are equal.
func LineDiff(old, new string, context int) []DiffLine {
	if old == new {
		return nil
	}
	// A last line without its newline is the same line as with it.
	if old != "" && !strings.HasSuffix(old, "\n") {
		old += "\n"
	}
	if new != "" && !strings.HasSuffix(new, "\n") {
		new += "\n"
	}
	if old == new {
		return nil
	}
	dmp := diffmatchpatch.New()
	a, b, lines := dmp.DiffLinesToRunes(old, new)
	diffs := dmp.DiffCharsToLines(dmp.DiffMainRunes(a, b, false), lines)
	var all []DiffLine
	for _, d := range diffs {
		kind := DiffSame
		switch d.Type {
		case diffmatchpatch.DiffInsert:
			kind = DiffAdded
		case diffmatchpatch.DiffDelete:
			kind = DiffRemoved
		}
		for _, l := range splitLines(d.Text) {
			all = append(all, DiffLine{Kind: kind, Text: l})
		}
	}
	return trimContext(all, context)
}

// splitLines splits text after each newline, without an empty last line.
func splitLines(text string) []string {
	text = strings.TrimSuffix(text, "\n")
	return strings.Split(text, "\n")
}

// trimContext keeps the changed lines and up to context unchanged lines
// around each; the others become one DiffSkipped line per run.
func trimContext(all []DiffLine, context int) []DiffLine {
	keep := make([]bool, len(all))
	for i, l := range all {
		if l.Kind == DiffSame {
			continue
		}
		for j := max(0, i-context); j <= min(len(all)-1, i+context); j++ {
			keep[j] = true
		}
	}
	var out []DiffLine
	for i := 0; i < len(all); {
		if keep[i] {
			out = append(out, all[i])
			i++
			continue
		}
		j := i
		for j < len(all) && !keep[j] {
			j++
		}
		out = append(out, DiffLine{Kind: DiffSkipped, N: j - i})
		i = j
	}
	return out
}
