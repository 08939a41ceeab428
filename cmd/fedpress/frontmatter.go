package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// frontMatter is the YAML header of a Markdown file for `fedpress post`,
// and what `fedpress export` writes (empty keys left out). It reads the
// headers of Jekyll and Hugo posts too: their date shapes, `categories`
// (merged into the tags) and Jekyll's `published: false` (a draft).
type frontMatter struct {
	// ID ties the file to the article it made: `fedpress post` writes it
	// into the file when it creates the article, and posting the file again
	// updates that article and no other.
	ID         string     `yaml:"id,omitempty"`
	Title      string     `yaml:"title"`
	Slug       string     `yaml:"slug"`
	Date       postDate   `yaml:"date,omitempty"`
	Tags       stringList `yaml:"tags,omitempty"`
	Categories stringList `yaml:"categories,omitempty"`
	Summary    string     `yaml:"summary,omitempty"`
	Draft      bool       `yaml:"draft,omitempty"`
	Published  *bool      `yaml:"published,omitempty"`
	Author     string     `yaml:"author,omitempty"`
	Pinned     bool       `yaml:"pinned,omitempty"`
	// Images gives alt text and captions to local images by path; images
	// referenced in the body are uploaded whether listed or not.
	Images []frontMatterImage `yaml:"images,omitempty"`
}

// frontMatterImage describes one local image of a post.
type frontMatterImage struct {
	Path    string `yaml:"path"`
	Alt     string `yaml:"alt,omitempty"`
	Caption string `yaml:"caption,omitempty"`
}

// frontMatterKeys are the keys `fedpress post` uses; others are named in
// a warning.
func frontMatterKeys() []string {
	return []string{"id", "title", "slug", "date", "tags", "categories", "summary", "draft", "published", "author", "pinned", "images"}
}

// allTags are the tags with the categories, each name once.
func (fm frontMatter) allTags() []string {
	var out []string
	for _, n := range append(append([]string{}, fm.Tags...), fm.Categories...) {
		if n = strings.TrimSpace(n); n != "" && !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, n) }) {
			out = append(out, n)
		}
	}
	return out
}

// isDraft: `draft: true` (Hugo, fedpress) or `published: false` (Jekyll).
func (fm frontMatter) isDraft() bool {
	return fm.Draft || (fm.Published != nil && !*fm.Published)
}

// stringList is a YAML list of names, or one comma-separated string
// (`tags: travel, food`), as blogs write them.
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*l = nil
		for _, part := range strings.Split(n.Value, ",") {
			if part = strings.TrimSpace(part); part != "" {
				*l = append(*l, part)
			}
		}
		return nil
	case yaml.SequenceNode:
		var names []string
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: a list of names was expected", item.Line)
			}
			names = append(names, item.Value)
		}
		*l = names
		return nil
	}
	return fmt.Errorf("line %d: a list of names was expected", n.Line)
}

// postDate is the date as written; postDate.Time reads it.
type postDate string

func (d *postDate) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: the date must be a date such as 2026-12-01 10:00:00 +0100", n.Line)
	}
	*d = postDate(n.Value)
	return nil
}

// MarshalYAML writes an RFC 3339 date as a YAML timestamp (unquoted).
func (d postDate) MarshalYAML() (any, error) {
	if t, err := time.Parse(time.RFC3339, string(d)); err == nil {
		return t, nil
	}
	return string(d), nil
}

// zonedDateLayouts are the date shapes that carry their zone: RFC 3339
// (Hugo, fedpress export) and Jekyll's "2026-12-01 10:00:00 +0100".
// Fractional seconds are accepted after the seconds of each.
func zonedDateLayouts() []string {
	return []string{
		time.RFC3339,
		"2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05 -07:00", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05 Z07:00",
		"2006-01-02 15:04 -0700", "2006-01-02 15:04 -07:00", "2006-01-02T15:04:05-0700", "2006-01-02T15:04Z07:00",
	}
}

// localDateLayouts are the date shapes without a zone: read in the blog's
// time zone, as Jekyll and Hugo read them in the site's.
func localDateLayouts() []string {
	return []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"}
}

// Time reads the date; one without a zone is in loc. An empty date is nil.
func (d postDate) Time(loc *time.Location) (*time.Time, error) {
	s := strings.TrimSpace(string(d))
	if s == "" {
		return nil, nil
	}
	for _, l := range zonedDateLayouts() {
		if t, err := time.Parse(l, s); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	for _, l := range localDateLayouts() {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, fmt.Errorf("the date %q is not one fedpress reads: write it as 2026-12-01, 2026-12-01 10:00:00 +0100 or 2026-12-01T10:00:00Z", s)
}

// parsePost splits a file into front matter and Markdown body. Warnings
// name what is ignored.
func parsePost(data []byte) (fm frontMatter, body string, warnings []string, err error) {
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	text = strings.TrimPrefix(text, "\ufeff")
	if !strings.HasPrefix(text, "---\n") {
		return fm, "", nil, errors.New("missing front matter: the file must start with a line '---'")
	}
	rest := text[4:]
	end := strings.Index(rest, "\n---\n")
	switch {
	case end >= 0:
		body = rest[end+5:]
	case strings.HasSuffix(rest, "\n---"):
		end = len(rest) - 4
	default:
		return fm, "", nil, errors.New("front matter is not closed by a line '---'")
	}
	head := []byte(rest[:end])
	var keys map[string]yaml.Node
	if err := yaml.Unmarshal(head, &keys); err != nil {
		return fm, "", nil, frontMatterError(err)
	}
	if err := yaml.Unmarshal(head, &fm); err != nil {
		return fm, "", nil, frontMatterError(err)
	}
	var unknown []string
	for k := range keys {
		if !slices.Contains(frontMatterKeys(), k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		warnings = append(warnings, "front matter: not used: "+strings.Join(unknown, ", "))
	}
	if strings.TrimSpace(fm.Title) == "" {
		return fm, "", nil, errors.New("front matter: a title is required (a line such as: title: My article)")
	}
	if _, err := fm.Date.Time(time.UTC); err != nil {
		return fm, "", nil, fmt.Errorf("front matter: %w", err)
	}
	if len(fm.ID) > 64 || strings.ContainsAny(fm.ID, " \t\r\n") {
		return fm, "", nil, errors.New("front matter: id is the article's id written by `fedpress post`; remove that line to post the file as a new article")
	}
	return fm, body, warnings, nil
}

var (
	reYAMLLine  = regexp.MustCompile(`line (\d+)`)
	reYAMLTwice = regexp.MustCompile(`line (\d+): mapping key "([^"]*)" already defined at line (\d+)`)
	reYAMLType  = regexp.MustCompile(`cannot unmarshal !!(\w+) ` + "(`[^`]*`)?" + ` ?into (\S+)`)
)

// yamlKindName names a YAML value's kind for people.
func yamlKindName(kind string) string {
	switch kind {
	case "seq":
		return "a list"
	case "map":
		return "a set of keys"
	case "str":
		return "text"
	case "int", "float":
		return "a number"
	case "bool":
		return "true or false"
	case "timestamp":
		return "a date"
	}
	return "a value"
}

// goTypeName names what a front matter field holds, for people.
func goTypeName(typ string) string {
	switch typ {
	case "string":
		return "text"
	case "bool", "*bool":
		return "true or false"
	case "main.stringList":
		return "a list of names"
	case "[]main.frontMatterImage":
		return "a list of images"
	}
	return ""
}

// frontMatterError words a YAML error for people: lines of the file (the
// front matter starts on line 2), no YAML or Go type names.
func frontMatterError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	msg = reYAMLTwice.ReplaceAllString(msg, `line $1: the key “$2” appears twice (also on line $3)`)
	msg = reYAMLType.ReplaceAllStringFunc(msg, func(m string) string {
		sub := reYAMLType.FindStringSubmatch(m)
		got, want := yamlKindName(sub[1]), goTypeName(sub[3])
		if want == "" {
			return got + " that does not fit this key"
		}
		return got + " where " + want + " was expected"
	})
	msg = reYAMLLine.ReplaceAllStringFunc(msg, func(m string) string {
		n, _ := strconv.Atoi(strings.TrimPrefix(m, "line "))
		return "line " + strconv.Itoa(n+1)
	})
	lines := strings.Split(msg, "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return fmt.Errorf("front matter: %s", strings.Join(lines, "; "))
}

// reEmptyID is a front matter line `id:` without a value.
var reEmptyID = regexp.MustCompile(`^id:[ \t]*(""|'')?[ \t]*(#.*)?$`)

// recordFileID writes `id: key` into the front matter of the file read as
// data: after the opening '---' line (or in place of an empty `id:`
// line), in the file's own line endings. Every other byte stays as it
// was. The file is replaced atomically, and left alone if it changed
// since it was read.
func recordFileID(path string, data []byte, key string) error {
	nl := "\n"
	first := bytes.IndexByte(data, '\n')
	if first < 0 {
		return errors.New("no front matter")
	}
	if first > 0 && data[first-1] == '\r' {
		nl = "\r\n"
	}
	line := []byte("id: " + key + nl)
	var out []byte
	// An `id:` line left empty is filled rather than repeated.
	pos := first + 1
	for pos < len(data) {
		end := bytes.IndexByte(data[pos:], '\n')
		if end < 0 {
			break
		}
		l := strings.TrimRight(string(data[pos:pos+end]), "\r")
		if l == "---" {
			break
		}
		if reEmptyID.MatchString(l) {
			out = append(append(append(out, data[:pos]...), line...), data[pos+end+1:]...)
			break
		}
		pos += end + 1
	}
	if out == nil {
		out = append(append(append(out, data[:first+1]...), line...), data[first+1:]...)
	}
	now, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !bytes.Equal(now, data) {
		return errors.New("the file changed while it was being posted")
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up after a failure
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
