package web

import (
	"html/template"
	"testing"
)

func TestHighlight(t *testing.T) {
	const s, e = "\uE000", "\uE001"
	for _, tc := range []struct {
		in   string
		want template.HTML
	}{
		{"", ""},
		{"plain <b>text</b> & more", "plain &lt;b&gt;text&lt;/b&gt; &amp; more"},
		{"we grew " + s + "tomatoes" + e + " & " + s + "beans" + e, "we grew <mark>tomatoes</mark> &amp; <mark>beans</mark>"},
		{s + "<script>" + e, "<mark>&lt;script&gt;</mark>"},
		{"stray" + e + " end", "stray end"},
		{s + "open" + s + " twice", "<mark>open twice</mark>"},
		{s + "never closed", "<mark>never closed</mark>"},
		{`"quoted" 'single'`, "&#34;quoted&#34; &#39;single&#39;"},
	} {
		if got := Highlight(tc.in, s, e); got != tc.want {
			t.Errorf("Highlight(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
