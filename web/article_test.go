package web

import (
	"slices"
	"strings"
	"testing"
)

func TestMediaName(t *testing.T) {
	tests := []struct {
		src, want string
		ok        bool
	}{
		{"/media/abc.png", "abc.png", true},
		{"/media/", "", false},
		{"/media/../etc/passwd", "", false},
		{"/media/.hidden", "", false},
		{"/media/a.png?w=1", "", false},
		{"https://elsewhere.example/media/a.png", "", false},
		{"media/a.png", "", false},
	}
	for _, tt := range tests {
		got, ok := MediaName(tt.src)
		if got != tt.want || ok != tt.ok {
			t.Errorf("MediaName(%q) = %q, %v; want %q, %v", tt.src, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPrepareArticle(t *testing.T) {
	md := "Intro ![a](/media/x.png) and ![b](https://remote.example/y.png)\n\n" +
		"![c](/media/z.jpg \"Cap\")\n\n![again](/media/x.png)\n"
	sizes := map[string][2]int{"x.png": {640, 480}, "z.jpg": {10, 20}}
	var asked []string
	html, media, err := PrepareArticle(md, func(name string) (MediaImage, bool) {
		asked = append(asked, name)
		s, ok := sizes[name]
		return MediaImage{Width: s[0], Height: s[1]}, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"x.png", "z.jpg"}; !slices.Equal(media, want) {
		t.Errorf("media = %v, want %v", media, want)
	}
	for _, name := range asked {
		if strings.Contains(name, "/") {
			t.Errorf("size lookup got %q, want a bare file name", name)
		}
	}
	for _, want := range []string{
		`<img src="/media/x.png" alt="a" width="640" height="480" loading="lazy">`,
		`<img src="https://remote.example/y.png" alt="b" loading="lazy">`,
		`<figure><img src="/media/z.jpg" alt="c" width="10" height="20" loading="lazy"><figcaption>Cap</figcaption></figure>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("html lacks %s\n%s", want, html)
		}
	}

	if _, _, err := PrepareArticle("plain", nil); err != nil {
		t.Errorf("nil size func: %v", err)
	}
}

func TestImageMarkdownRoundTrip(t *testing.T) {
	tests := []struct{ alt, caption, want string }{
		{"A cat", "On the sofa", `![A cat](/media/n.jpg "On the sofa")`},
		{"A cat", "", `![A cat](/media/n.jpg)`},
		{"", "", `![](/media/n.jpg)`},
		{`[odd] \ *alt*`, `say "hi" \ there`, ""},
		{"multi\nline  alt", "two\nlines", `![multi line alt](/media/n.jpg "two lines")`},
	}
	for _, tt := range tests {
		got := ImageMarkdown("n.jpg", tt.alt, tt.caption)
		if tt.want != "" && got != tt.want {
			t.Errorf("ImageMarkdown(%q, %q) = %s, want %s", tt.alt, tt.caption, got, tt.want)
		}
		refs := ImageRefs(got)
		if len(refs) != 1 {
			t.Fatalf("%s: %d image refs, want 1", got, len(refs))
		}
		wantAlt := strings.Join(strings.Fields(tt.alt), " ")
		wantCap := strings.Join(strings.Fields(tt.caption), " ")
		if refs[0].Src != "/media/n.jpg" || refs[0].Alt != wantAlt || refs[0].Title != wantCap {
			t.Errorf("%s reads back as %+v, want alt %q caption %q", got, refs[0], wantAlt, wantCap)
		}
	}
}
