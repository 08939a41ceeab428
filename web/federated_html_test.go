package web

import (
	"maps"
	"testing"
)

const figureHTML = `<p>Intro.</p>
<figure><img src="/media/talks.jpg" alt="Delegations at the table" loading="lazy"><figcaption>The delegations on the <em>second</em> day</figcaption></figure>
<p>More <img src="/media/x.png" alt="inline" loading="lazy"> text.</p>`

func TestFlattenFigures(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"figure", figureHTML, `<p>Intro.</p>
<img src="/media/talks.jpg" alt="Delegations at the table" loading="lazy"><p>The delegations on the <em>second</em> day</p>
<p>More <img src="/media/x.png" alt="inline" loading="lazy"> text.</p>`},
		{"no caption", `<figure class="wp"><img src="a.png" alt="A"></figure>`, `<img src="a.png" alt="A">`},
		{"none", `<p>plain</p>`, `<p>plain</p>`},
		{"empty", ``, ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FlattenFigures(tc.in); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestWithoutFigures(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"figure", figureHTML, "<p>Intro.</p>\n\n<p>More <img src=\"/media/x.png\" alt=\"inline\" loading=\"lazy\"> text.</p>"},
		{"nested", `<figure><figure><img src="a"></figure><figcaption>c</figcaption></figure><p>x</p>`, `<p>x</p>`},
		{"none", `<p>plain</p>`, `<p>plain</p>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := WithoutFigures(tc.in); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestImageAlts(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]string
	}{
		{"figure and inline", figureHTML, map[string]string{"/media/talks.jpg": "Delegations at the table", "/media/x.png": "inline"}},
		{"first non-empty wins", `<img src="a" alt=""><img src="a" alt=" A cat "><img src="a" alt="B">`, map[string]string{"a": "A cat"}},
		{"no src", `<img alt="x">`, map[string]string{}},
		{"none", `<p>x</p>`, map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ImageAlts(tc.in); !maps.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
