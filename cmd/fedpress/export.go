package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"

	"fedpress/models"
	"fedpress/web"
)

// An export is the blog as files a person (or another program) can read:
//
//	articles/2012-11-17-slug.md             front matter + Markdown (HTML for imported articles)
//	articles/2012-11-17-slug.comments.json  its comments, pingbacks, likes… when it has any
//	media/NAME                              the images the articles use
//
// Each .md is what `fedpress post` reads, so `fedpress post` on every file
// rebuilds the articles in another blog.

// exportComments is the .comments.json of one article.
type exportComments struct {
	Article      exportRef           `json:"article"`
	Interactions []exportInteraction `json:"interactions"`
}

type exportRef struct {
	ID    uint   `json:"id"`
	Slug  string `json:"slug"`
	Title string `json:"title"`
}

// exportInteraction keeps everything the owner may want from a comment,
// the e-mail address included: this is the owner's own copy.
type exportInteraction struct {
	ID          uint       `json:"id"`
	ParentID    *uint      `json:"parent_id,omitempty"`
	Kind        string     `json:"kind"`
	Source      string     `json:"source"`
	Status      string     `json:"status"`
	AuthorName  string     `json:"author_name,omitempty"`
	AuthorEmail string     `json:"author_email,omitempty"`
	AuthorURL   string     `json:"author_url,omitempty"`
	Actor       string     `json:"actor,omitempty"` // fediverse account URI
	ObjectURI   string     `json:"object_uri,omitempty"`
	URL         string     `json:"url,omitempty"`
	Title       string     `json:"title,omitempty"`
	Summary     string     `json:"summary,omitempty"`
	Content     string     `json:"content,omitempty"` // sanitized HTML
	Visibility  string     `json:"visibility,omitempty"`
	PublishedAt time.Time  `json:"published_at"`
	EditedAt    *time.Time `json:"edited_at,omitempty"`
}

func cmdExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlagSet("fedpress export", stderr, &cfg, false)
	setUsage(fs, "usage: fedpress export [flags] DIR\n\n"+
		"Writes every article that is not deleted into the new folder DIR as\n"+
		"articles/<date>-<slug>.md (front matter as `fedpress post` reads it) with its\n"+
		"comments in articles/<date>-<slug>.comments.json, and the images in media/.", storeOnly()...)
	dir, store, err := intoNewDir(ctx, fs, args, &cfg, "export")
	if store == nil {
		return err
	}
	defer store.Close()
	sum, err := exportBlog(ctx, store, filepath.Join(cfg.Data, "media"), dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported %d articles (%d with comments) and %d media files to %s\n", sum.Articles, sum.WithComments, sum.Media, dir)
	return nil
}

type exportSummary struct{ Articles, WithComments, Media int }

// exportBlog writes the export into dir (which should be empty).
func exportBlog(ctx context.Context, store *models.Store, mediaDir, dir string) (exportSummary, error) {
	var sum exportSummary
	artDir, outMedia := filepath.Join(dir, "articles"), filepath.Join(dir, "media")
	for _, d := range []string{artDir, outMedia} {
		if err := mkdirPrivate(d); err != nil {
			return sum, fmt.Errorf("export: %w", err)
		}
	}
	used := map[string]bool{}   // file names, in case two slugs clean to the same one
	copied := map[string]bool{} // media names already in outMedia
	err := store.ExportArticles(ctx, func(a *models.Article, ins []models.Interaction) error {
		base := exportBaseName(a)
		if used[base] {
			base = fmt.Sprintf("%s-%d", base, a.ID)
		}
		used[base] = true

		var images []frontMatterImage
		for _, m := range a.Media {
			if m.RemoteURL != "" {
				continue // not ours to copy; the body links to it
			}
			if !copied[m.Path] {
				err := copyFile(filepath.Join(mediaDir, m.Path), filepath.Join(outMedia, m.Path))
				if errors.Is(err, os.ErrNotExist) {
					continue // a missing file must not stop the export of the text
				}
				if err != nil {
					return fmt.Errorf("export media of %s: %w", a.Slug, err)
				}
				copied[m.Path] = true
				sum.Media++
			}
			// Listed so that `fedpress post` uploads and attaches it, with
			// its alt text and caption, even when the body does not use it.
			images = append(images, frontMatterImage{Path: "../media/" + m.Path, Alt: m.Alt, Caption: m.Caption})
		}
		body := a.Markdown
		if a.Format == "html" || (body == "" && a.HTML != "") {
			// Imported articles have no Markdown: the HTML is valid Markdown
			// input, and `fedpress post` sanitizes it again.
			body = a.HTML
		} else {
			// Markdown images point to the exported copies, which `fedpress
			// post` uploads (under the same content-hash name).
			body = web.RewriteImageSrc(body, func(src string) (string, bool) {
				name, ok := strings.CutPrefix(src, "/media/")
				if !ok || !copied[name] {
					return "", false
				}
				return "../media/" + name, true
			})
		}
		if err := writeArticleFile(filepath.Join(artDir, base+".md"), a, images, body); err != nil {
			return err
		}
		sum.Articles++
		if len(ins) == 0 {
			return nil
		}
		out := exportComments{Article: exportRef{ID: a.ID, Slug: a.Slug, Title: a.Title}}
		for _, in := range ins {
			out.Interactions = append(out.Interactions, exportInteractionOf(in))
		}
		if err := writeJSON(filepath.Join(artDir, base+".comments.json"), out); err != nil {
			return fmt.Errorf("export comments of %s: %w", a.Slug, err)
		}
		sum.WithComments++
		return nil
	})
	return sum, err
}

func writeArticleFile(path string, a *models.Article, images []frontMatterImage, body string) error {
	fm := frontMatter{
		Title: a.Title, Slug: a.Slug, Summary: a.Summary, Draft: a.Status == models.StatusDraft,
		Author: a.Author.Username, Pinned: a.Pinned, Images: images,
	}
	if a.PublishedAt != nil {
		fm.Date = postDate(a.PublishedAt.UTC().Format(time.RFC3339))
	}
	if a.FileKey != nil { // posting the file again updates this article
		fm.ID = *a.FileKey
	}
	for _, t := range a.Tags {
		fm.Tags = append(fm.Tags, t.Name)
	}
	head, err := yaml.Marshal(fm)
	if err != nil {
		return fmt.Errorf("export %s: front matter: %w", a.Slug, err)
	}
	var b strings.Builder
	b.WriteString("---\n")
	b.Write(head)
	b.WriteString("---\n")
	b.WriteString(body)
	if !strings.HasSuffix(body, "\n") {
		b.WriteString("\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("export %s: %w", a.Slug, err)
	}
	return nil
}

// exportBaseName is <yyyy>-<mm>-<dd>-<slug>, dated by publication (or
// creation, for drafts without a date).
func exportBaseName(a *models.Article) string {
	d := a.CreatedAt
	if a.PublishedAt != nil {
		d = *a.PublishedAt
	}
	d = d.UTC()
	// Slugs made by fedpress are already safe; one set by hand or by an
	// older import might hold a path separator.
	slug := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return '-'
	}, a.Slug)
	if slug == "" {
		slug = fmt.Sprintf("article-%d", a.ID)
	}
	return fmt.Sprintf("%04d-%02d-%02d-%s", d.Year(), int(d.Month()), d.Day(), slug)
}

func exportInteractionOf(in models.Interaction) exportInteraction {
	out := exportInteraction{
		ID: in.ID, ParentID: in.ParentID, Kind: in.Kind, Source: in.Source, Status: in.Status,
		AuthorName: in.AuthorName, AuthorEmail: in.AuthorEmail, AuthorURL: in.AuthorURL,
		URL: in.URL, Title: in.Title, Summary: in.Summary, Content: in.Content, Visibility: in.Visibility,
		PublishedAt: in.PublishedAt.UTC(), EditedAt: in.EditedAt,
	}
	if in.ObjectURI != nil {
		out.ObjectURI = *in.ObjectURI
	}
	if in.RemoteActor != nil {
		out.Actor = in.RemoteActor.URI
		if out.AuthorName == "" {
			out.AuthorName = in.RemoteActor.Name
		}
	}
	return out
}
