package web

import (
	"html/template"
	"strings"
	"time"
	_ "time/tzdata" // time zone names work on hosts and images without a zoneinfo folder
)

// DateFormat is one of the date styles the settings offer. People choose
// by example; the layouts never show.
type DateFormat struct {
	Key      string
	date     string // time layout of a date
	dateTime string // and of a date with the time of day
}

// DateFormats are the styles a blog may choose; the first is the default.
func DateFormats() []DateFormat {
	return []DateFormat{
		{"mdy", "January 2, 2006", "January 2, 2006 at 3:04 pm"},
		{"dmy", "2 January 2006", "2 January 2006, 15:04"},
		{"iso", "2006-01-02", "2006-01-02 15:04"},
		{"dmy-slash", "02/01/2006", "02/01/2006 15:04"},
		{"mdy-slash", "01/02/2006", "01/02/2006 3:04 pm"},
		{"dmy-dot", "02.01.2006", "02.01.2006 15:04"},
	}
}

// Date formats t in this style.
func (f DateFormat) Date(t time.Time) string { return t.Format(f.date) }

// DateTime formats t with its time of day in this style.
func (f DateFormat) DateTime(t time.Time) string { return t.Format(f.dateTime) }

// DateFormatByKey is the style named key, the default when there is none.
func DateFormatByKey(key string) DateFormat {
	fs := DateFormats()
	for _, f := range fs {
		if f.Key == key {
			return f
		}
	}
	return fs[0]
}

// DateStyle is how a blog shows dates: its time zone (IANA name, empty
// for UTC) and date format (a DateFormats key, empty for the default).
type DateStyle struct {
	TimeZone, Format string
}

// DateStyler is page data that knows the blog's date style; Views.Render
// shows the dates of such pages in it.
type DateStyler interface {
	DateStyle() DateStyle
}

// LoadTimeZone resolves a time zone name as people type it ("Europe/Paris",
// "UTC"; empty is UTC). Only IANA names are accepted: "Local" would depend
// on the server's configuration.
func LoadTimeZone(name string) (*time.Location, bool) {
	name = strings.TrimSpace(name)
	if name == "" {
		return time.UTC, true
	}
	if name == "Local" {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	return loc, true
}

// resolve loads the style's zone and format; an unknown one is the
// default, so that a bad stored value never breaks a page.
func (s DateStyle) resolve() (*time.Location, DateFormat) {
	loc, ok := LoadTimeZone(s.TimeZone)
	if !ok {
		loc = time.UTC
	}
	return loc, DateFormatByKey(s.Format)
}

// dateFuncs are the template helpers that show dates in one style. The
// machine-readable rfc3339 stays in UTC.
func dateFuncs(loc *time.Location, f DateFormat) template.FuncMap {
	return template.FuncMap{
		"date": func(v any) string {
			t, ok := timeOf(v)
			if !ok {
				return ""
			}
			return f.Date(t.In(loc))
		},
		"dateTime": func(v any) string {
			t, ok := timeOf(v)
			if !ok {
				return ""
			}
			return f.DateTime(t.In(loc))
		},
		"timeZone": func() string { return zoneName(loc) },
	}
}

// zoneName is how pages name the zone their dates are in.
func zoneName(loc *time.Location) string {
	if loc == time.UTC {
		return "UTC"
	}
	return loc.String()
}

// Date formats t as a date in this style, for text made outside templates.
func (s DateStyle) Date(t time.Time) string {
	loc, f := s.resolve()
	return f.Date(t.In(loc))
}

// DateTime formats t with its time of day in this style.
func (s DateStyle) DateTime(t time.Time) string {
	loc, f := s.resolve()
	return f.DateTime(t.In(loc))
}
