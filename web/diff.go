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
	// Each distinct line becomes one rune and the library diffs the runes.
	// (Its own DiffLinesToRunes writes line numbers as digits and commas,
	// which its character diff then splits apart.)
	var lines []string
	ids := map[string]rune{}
	encode := func(text string) []rune {
		var out []rune
		for _, l := range strings.SplitAfter(text, "\n") {
			if l == "" {
				continue
			}
			r, ok := ids[l]
			if !ok {
				r = lineRune(len(lines))
				ids[l] = r
				lines = append(lines, l)
			}
			out = append(out, r)
		}
		return out
	}
	a, b := encode(old), encode(new)
	var all []DiffLine
	for _, d := range diffmatchpatch.New().DiffMainRunes(a, b, false) {
		kind := DiffSame
		switch d.Type {
		case diffmatchpatch.DiffInsert:
			kind = DiffAdded
		case diffmatchpatch.DiffDelete:
			kind = DiffRemoved
		}
		for _, r := range d.Text {
			all = append(all, DiffLine{Kind: kind, Text: strings.TrimSuffix(lines[runeLine(r)], "\n")})
		}
	}
	return trimContext(all, context)
}

// lineRune and runeLine number lines with runes that survive a trip
// through a string: from 1, around the surrogate range.
func lineRune(i int) rune {
	r := rune(i + 1)
	if r >= 0xD800 {
		r += 0x800
	}
	return r
}

func runeLine(r rune) int {
	if r >= 0xE000 {
		r -= 0x800
	}
	return int(r) - 1
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
