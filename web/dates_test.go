package web

import (
	"strings"
	"testing"
	"time"
)

// TestViewsDateStyle: pages show dates in the style their data asks for,
// each style's templates made once, a bad stored style falling back to
// the default rather than breaking the page.
func TestViewsDateStyle(t *testing.T) {
	v, err := NewViews()
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2012, 11, 17, 20, 30, 0, 0, time.UTC)
	tests := []struct {
		style      DateStyle
		date, full string
		zone       string
	}{
		{DateStyle{}, "November 17, 2012", "November 17, 2012 at 8:30 pm", "UTC"},
		{DateStyle{TimeZone: "Asia/Tokyo", Format: "iso"}, "2012-11-18", "2012-11-18 05:30", "Asia/Tokyo"},
		{DateStyle{TimeZone: "America/New_York", Format: "dmy"}, "17 November 2012", "17 November 2012, 15:30", "America/New_York"},
		{DateStyle{TimeZone: "Europe/Berlin", Format: "dmy-dot"}, "17.11.2012", "17.11.2012 21:30", "Europe/Berlin"},
		{DateStyle{TimeZone: "Nowhere/Land", Format: "2006"}, "November 17, 2012", "November 17, 2012 at 8:30 pm", "UTC"},
	}
	for _, tc := range tests {
		pages, err := v.pagesFor(tc.style)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		tpl, err := pages["site/error"].Clone()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tpl.New("probe").Parse(`{{date .}}|{{dateTime .}}|{{timeZone}}`); err != nil {
			t.Fatal(err)
		}
		if err := tpl.ExecuteTemplate(&b, "probe", when); err != nil {
			t.Fatal(err)
		}
		if want := tc.date + "|" + tc.full + "|" + tc.zone; b.String() != want {
			t.Errorf("%+v: %q, want %q", tc.style, b.String(), want)
		}
		if again, _ := v.pagesFor(tc.style); again["site/error"] != pages["site/error"] {
			t.Errorf("%+v: templates made again", tc.style)
		}
		if got := tc.style.DateTime(when); got != tc.full {
			t.Errorf("%+v: DateStyle.DateTime %q, want %q", tc.style, got, tc.full)
		}
	}
}

func TestLoadTimeZone(t *testing.T) {
	for name, ok := range map[string]bool{"": true, "UTC": true, "Europe/Paris": true, "Local": false, "Mars/Base": false, "../etc": false} {
		if _, got := LoadTimeZone(name); got != ok {
			t.Errorf("LoadTimeZone(%q) = %v, want %v", name, got, ok)
		}
	}
}
