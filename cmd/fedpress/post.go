package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"fedpress/federation"
	"fedpress/models"
	"fedpress/web"
)

// frontMatter is the YAML header of a Markdown file for `fedpress post`,
// and what `fedpress export` writes (empty keys left out).
type frontMatter struct {
	Title   string     `yaml:"title"`
	Slug    string     `yaml:"slug"`
	Date    *time.Time `yaml:"date,omitempty"`
	Tags    []string   `yaml:"tags,omitempty"`
	Summary string     `yaml:"summary,omitempty"`
	Draft   bool       `yaml:"draft,omitempty"`
	Author  string     `yaml:"author,omitempty"`
	Pinned  bool       `yaml:"pinned,omitempty"`
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

// parsePost splits a file into front matter and Markdown body.
func parsePost(data []byte) (frontMatter, string, error) {
	var fm frontMatter
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	text = strings.TrimPrefix(text, "\ufeff")
	if !strings.HasPrefix(text, "---\n") {
		return fm, "", errors.New("missing front matter: the file must start with a line '---'")
	}
	rest := text[4:]
	end := strings.Index(rest, "\n---\n")
	body := ""
	switch {
	case end >= 0:
		body = rest[end+5:]
	case strings.HasSuffix(rest, "\n---"):
		end = len(rest) - 4
	default:
		return fm, "", errors.New("front matter is not closed by a line '---'")
	}
	if err := yaml.Unmarshal([]byte(rest[:end]), &fm); err != nil {
		return fm, "", fmt.Errorf("front matter: %w", err)
	}
	if strings.TrimSpace(fm.Title) == "" {
		return fm, "", errors.New("front matter: title is required")
	}
	return fm, body, nil
}

// cmdPost publishes (or updates, when the slug exists) a Markdown file. It
// writes to the same database and media folder as `serve`, which may be
// running: the running server's workers deliver what this command queues.
func cmdPost(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlagSet("fedpress post", stderr, &cfg, false)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: fedpress post [flags] FILE.md\n\nFront matter (YAML): title, slug, date, tags, summary, draft, author, images (path, alt, caption).")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	file := fs.Arg(0)
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read %s: %w", file, err)
	}
	fm, body, err := parsePost(data)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	store, _, err := openStore(ctx, &cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	art, err := publishFile(ctx, store, web.DirStore{Dir: filepath.Join(cfg.Data, "media")}, filepath.Dir(file), fm, body, time.Now().UTC())
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	urls, _ := federation.NewURLs(cfg.BaseURL)
	fed, err := federation.NewService(federation.Config{URLs: urls, AllowPrivatePeers: cfg.AllowPrivatePeers}, store, cfg.logger(stderr).With("cmd", "post"))
	if err != nil {
		return err
	}
	if err := fed.ArticleSaved(ctx, art.ID); err != nil {
		return fmt.Errorf("federate %s: %w", art.Slug, err)
	}
	fmt.Fprint(stdout, postOutcome(art, urls, time.Now()))
	return nil
}

// postOutcome tells what `fedpress post` did. Only a live article has a
// public URL: a draft or a scheduled article answers 404 there until it
// goes live, so for those the admin page to preview and edit it is given.
func postOutcome(art *models.Article, urls federation.URLs, now time.Time) string {
	edit := urls.Abs(fmt.Sprintf("/admin/articles/%d/edit/", art.ID))
	switch {
	case art.Status == models.StatusDraft:
		return fmt.Sprintf("Draft saved, not published: %q.\nPreview and edit it at %s\nSet draft: false and post the file again to publish it.\n", art.Title, edit)
	case art.IsScheduled(now):
		return fmt.Sprintf("Scheduled: %q will be published on %s at %s\nPreview and edit it at %s\n",
			art.Title, art.PublishedAt.UTC().Format("2006-01-02 15:04 MST"), urls.Abs(art.Permalink()), edit)
	}
	return urls.Abs(art.Permalink()) + "\n"
}

// publishFile uploads the local images of body, renders it and saves the
// article, updating the one with the same slug if there is one.
func publishFile(ctx context.Context, store *models.Store, media web.MediaStore, dir string, fm frontMatter, body string, now time.Time) (*models.Article, error) {
	var author *models.Author
	var err error
	if fm.Author != "" {
		author, err = store.AuthorByUsername(ctx, fm.Author)
	} else {
		var as []models.Author
		as, err = store.ListAuthors(ctx)
		if err == nil && len(as) == 0 {
			err = errors.New("no author yet: create one with `fedpress author add` or the setup URL")
		}
		if err == nil {
			author = &as[0]
		}
	}
	if err != nil {
		return nil, fmt.Errorf("author: %w", err)
	}
	meta := map[string][2]string{}
	for _, im := range fm.Images {
		meta[filepath.Clean(im.Path)] = [2]string{im.Alt, im.Caption}
	}
	// ![Alt](photo.png "Caption") describes the upload too, where the front
	// matter does not: the alt text is what followers' servers read.
	for _, ref := range web.ImageRefs(body) {
		if isRemoteOrMedia(ref.Src) {
			continue
		}
		k := filepath.Clean(ref.Src)
		am := meta[k]
		if am[0] == "" {
			am[0] = strings.TrimSpace(ref.Alt)
		}
		if am[1] == "" {
			am[1] = strings.TrimSpace(ref.Title)
		}
		meta[k] = am
	}
	uploaded := map[string]*models.Media{}
	var uploadErr error
	body = web.RewriteImageSrc(body, func(src string) (string, bool) {
		if uploadErr != nil || isRemoteOrMedia(src) {
			return "", false
		}
		m, err := uploadLocalImage(ctx, store, media, dir, src, author.ID, meta)
		if err != nil {
			uploadErr = err
			return "", false
		}
		uploaded[m.Path] = m
		return "/media/" + m.Path, true
	})
	if uploadErr != nil {
		return nil, uploadErr
	}
	// Images listed in front matter but not used in the body are attached too.
	for _, im := range fm.Images {
		if _, used := uploaded[im.Path]; used || isRemoteOrMedia(im.Path) {
			continue
		}
		m, err := uploadLocalImage(ctx, store, media, dir, im.Path, author.ID, meta)
		if err != nil {
			return nil, err
		}
		uploaded[m.Path] = m
	}
	html, mediaIDs, err := renderWithMedia(ctx, store, body)
	if err != nil {
		return nil, err
	}
	for _, m := range uploaded {
		mediaIDs = appendUnique(mediaIDs, m.ID)
	}
	slug := fm.Slug
	if slug == "" {
		slug = web.Slugify(fm.Title)
	}
	var id uint
	published := fm.Date
	if existing, err := store.ArticleBySlug(ctx, slug); err == nil {
		id = existing.ID
		if published == nil {
			published = existing.PublishedAt
		}
	} else if !models.ErrIsNotFound(err) {
		return nil, err
	}
	if published == nil {
		published = &now
	}
	status := models.StatusPublished
	if fm.Draft {
		status = models.StatusDraft
	}
	p := published.UTC()
	return store.SaveArticle(ctx, id, models.ArticleInput{
		Title: fm.Title, Slug: slug, Summary: fm.Summary, Markdown: body, HTML: html, Format: "markdown",
		Status: status, PublishedAt: &p, AuthorID: author.ID, Tags: fm.Tags, MediaIDs: mediaIDs, Pinned: fm.Pinned,
	})
}

func isRemoteOrMedia(src string) bool {
	return strings.Contains(src, "://") || strings.HasPrefix(src, "/media/") || strings.HasPrefix(src, "data:")
}

// uploadLocalImage stores a local file as media, named by its content hash
// so that posting the same file again reuses the same media row.
func uploadLocalImage(ctx context.Context, store *models.Store, media web.MediaStore, dir, src string, authorID uint, meta map[string][2]string) (*models.Media, error) {
	p := src
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, src)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", src, err)
	}
	sum := sha256.Sum256(data)
	base := hex.EncodeToString(sum[:12])
	info, err := web.SniffImage(data)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", src, err)
	}
	am := meta[filepath.Clean(src)]
	if m, err := store.MediaByPath(ctx, base+info.Ext); err == nil {
		// The same file again: describe it if it was not yet.
		if m.Alt == "" && am[0] != "" || m.Caption == "" && am[1] != "" {
			m.Alt, m.Caption = cmp.Or(m.Alt, am[0]), cmp.Or(m.Caption, am[1])
			if err := store.SaveMedia(ctx, m); err != nil {
				return nil, err
			}
		}
		return m, nil
	}
	im, err := web.StoreImage(media, base, data)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", src, err)
	}
	m := mediaOf(im)
	m.AuthorID, m.Alt, m.Caption = authorID, am[0], am[1]
	if err := store.CreateMedia(ctx, m); err != nil {
		web.RemoveImage(media, im)
		return nil, err
	}
	return m, nil
}

// mediaOf is the media row of a stored image.
func mediaOf(im web.StoredImage) *models.Media {
	m := &models.Media{Path: im.Name, MimeType: im.MimeType, Width: im.Width, Height: im.Height, Size: im.Size}
	for _, v := range im.Variants {
		m.Variants = append(m.Variants, models.MediaVariant(v))
	}
	return m
}

// renderWithMedia renders Markdown as the editor does, with image sizes from
// the media table, and returns the ids of the media it references.
func renderWithMedia(ctx context.Context, store *models.Store, body string) (string, []uint, error) {
	ms, err := store.MediaByPaths(ctx, web.MediaNames(body))
	if err != nil {
		return "", nil, err
	}
	byName := map[string]models.Media{}
	var ids []uint
	for _, m := range ms {
		byName[m.Path] = m
		ids = append(ids, m.ID)
	}
	html, _, err := web.PrepareArticle(body, func(name string) (web.MediaImage, bool) {
		m, ok := byName[name]
		im := web.MediaImage{Width: m.Width, Height: m.Height}
		for _, v := range m.Variants {
			im.Variants = append(im.Variants, web.ImageVariant(v))
		}
		return im, ok && m.Width > 0
	})
	if err != nil {
		return "", nil, fmt.Errorf("render markdown: %w", err)
	}
	return html, ids, nil
}

func appendUnique(ids []uint, id uint) []uint {
	for _, x := range ids {
		if x == id {
			return ids
		}
	}
	return append(ids, id)
}
