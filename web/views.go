package web

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"
)

// assets holds templates and static files; embedded, so the binary is all a
// writer needs to run.
//
//go:embed all:templates static
var assets embed.FS

// StaticFS serves /static/.
func StaticFS() fs.FS {
	sub, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the folder
	}
	return sub
}

// Views holds parsed page templates. Each page is parsed with its section's
// base and partials (files starting with "_"), so pages can redefine blocks.
//
// The parsed pages are never executed: each date style (the blog's time
// zone and format, see DateStyle) gets clones whose date helpers show that
// style, made on first use. A blog has one style at a time, so the clones
// are rarely made again.
type Views struct {
	pages map[string]*template.Template

	mu     sync.Mutex
	styled map[DateStyle]map[string]*template.Template
}

// maxDateStyles bounds the styles kept at once; more only happen when the
// settings change, and then the old ones are dropped.
const maxDateStyles = 4

// NewViews parses every template under templates/<section>/.
func NewViews() (*Views, error) {
	v := &Views{pages: map[string]*template.Template{}, styled: map[DateStyle]map[string]*template.Template{}}
	sections, err := fs.ReadDir(assets, "templates")
	if err != nil {
		return nil, fmt.Errorf("read templates: %w", err)
	}
	funcs := Funcs()
	for _, sec := range sections {
		if !sec.IsDir() {
			continue
		}
		dir := path.Join("templates", sec.Name())
		files, err := fs.ReadDir(assets, dir)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", dir, err)
		}
		var shared, pages []string
		for _, f := range files {
			if !strings.HasSuffix(f.Name(), ".html") {
				continue
			}
			p := path.Join(dir, f.Name())
			if strings.HasPrefix(f.Name(), "_") {
				shared = append(shared, p)
			} else {
				pages = append(pages, p)
			}
		}
		for _, p := range pages {
			t, err := template.New(path.Base(p)).Funcs(funcs).ParseFS(assets, append(append([]string{}, shared...), p)...)
			if err != nil {
				return nil, fmt.Errorf("parse %s: %w", p, err)
			}
			name := sec.Name() + "/" + strings.TrimSuffix(path.Base(p), ".html")
			v.pages[name] = t
		}
	}
	if _, err := v.pagesFor(DateStyle{}); err != nil {
		return nil, err
	}
	return v, nil
}

// pagesFor returns the pages showing dates in style.
// They are kept under style as given, so a render never loads a time zone.
func (v *Views) pagesFor(style DateStyle) (map[string]*template.Template, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if pages, ok := v.styled[style]; ok {
		return pages, nil
	}
	loc, format := style.resolve()
	funcs := dateFuncs(loc, format)
	pages := make(map[string]*template.Template, len(v.pages))
	for name, t := range v.pages {
		c, err := t.Clone()
		if err != nil {
			return nil, fmt.Errorf("views for %q %q: %w", style.TimeZone, style.Format, err)
		}
		pages[name] = c.Funcs(funcs)
	}
	if len(v.styled) >= maxDateStyles {
		clear(v.styled)
	}
	v.styled[style] = pages
	return pages, nil
}

// Has reports whether a page template exists.
func (v *Views) Has(name string) bool { _, ok := v.pages[name]; return ok }

// Render executes page name ("site/article", "admin/articles") through its
// section's "base" template, with dates in the style of data when it is a
// DateStyler. It renders to a buffer first so a template error never sends
// half a page.
func (v *Views) Render(w io.Writer, name string, data any) error {
	var style DateStyle
	if d, ok := data.(DateStyler); ok {
		style = d.DateStyle()
	}
	pages, err := v.pagesFor(style)
	if err != nil {
		return err
	}
	t, ok := pages[name]
	if !ok {
		return fmt.Errorf("render: no template %q", name)
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "base", data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	_, err = io.WriteString(w, b.String())
	return err
}
