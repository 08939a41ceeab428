package web

import (
	"fmt"
	"strings"
	"testing"
)

func TestLineDiff(t *testing.T) {
	long := func(mid string) string {
		var b strings.Builder
		for i := 1; i <= 20; i++ {
			if i == 10 {
				b.WriteString(mid + "\n")
				continue
			}
			fmt.Fprintf(&b, "line %d\n", i)
		}
		return b.String()
	}
	tests := []struct {
		name     string
		old, new string
		want     string // kind:text lines joined by |
	}{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"equal but the last newline", "a\nb", "a\nb\n", ""},
		{"added", "a\n", "a\nb\n", "same:a|add:b"},
		{"removed", "a\nb\nc\n", "a\nc\n", "same:a|del:b|same:c"},
		{"changed", "<b>x</b>\n", "<i>x</i>\n", "del:<b>x</b>|add:<i>x</i>"},
		{"from nothing", "", "a\n", "add:a"},
		{"context cut", long("old"), long("new"),
			"skip:6|same:line 7|same:line 8|same:line 9|del:old|add:new|same:line 11|same:line 12|same:line 13|skip:7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, l := range LineDiff(tc.old, tc.new, 3) {
				if l.Kind == DiffSkipped {
					got = append(got, fmt.Sprintf("skip:%d", l.N))
					continue
				}
				got = append(got, l.Kind+":"+l.Text)
			}
			if s := strings.Join(got, "|"); s != tc.want {
				t.Errorf("got %s\nwant %s", s, tc.want)
			}
		})
	}
}

// Line numbers survive the trip through a string, around the surrogates.
func TestLineRunes(t *testing.T) {
	for _, i := range []int{0, 1, 0xD7FE, 0xD7FF, 0xD800, 0x10000, 0x10EFFE} {
		r := lineRune(i)
		back := []rune(string(r))
		if len(back) != 1 || runeLine(back[0]) != i {
			t.Errorf("line %d: rune %U comes back as %v", i, r, back)
		}
	}
}
