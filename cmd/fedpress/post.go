package main

import (
	"cmp"
	"context"
	"crypto/rand"
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

	"fedpress/federation"
	"fedpress/models"
	"fedpress/web"
)

// cmdPost creates an article from a Markdown file, or updates the one it
// made before. It writes to the same database and media folder as `serve`,
// which may be running: the running server's workers deliver what this
// command queues.
//
// A file updates only the article it created: creating one writes `id:` (a
// random key, stored with the article) into the file's front matter, and
// posting a file with an id updates that article. A file without an id
// whose slug another article already uses (one written in the browser, or
// posted from another file) is refused unless --update says to update that
// article. Each update keeps the version it replaces as a revision.
func cmdPost(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlagSet("fedpress post", stderr, &cfg, false)
	update := fs.Bool("update", false, "the slug belongs to an article this file did not create: update that article (its text is kept as a revision)")
	setUsage(fs, "usage: fedpress post [flags] FILE.md\n\n"+
		"Front matter (YAML): title, slug, date, tags (categories are added to them), summary,\n"+
		"draft, author, pinned, images (path, alt, caption). The first post of a file writes\n"+
		"its article's id into the front matter; posting the file again updates that article.")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	// --update only counts on the command line: an environment variable
	// must not make every post overwrite.
	updateGiven := false
	fs.Visit(func(f *flag.Flag) { updateGiven = updateGiven || (f.Name == "update" && *update) })
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	file := fs.Arg(0)
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read %s: %w", file, err)
	}
	fm, body, warnings, err := parsePost(data)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "%s: %s\n", file, w)
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	store, _, err := openStore(ctx, &cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	res, err := publishFile(ctx, store, web.DirStore{Dir: filepath.Join(cfg.Data, "media")}, filepath.Dir(file), fm, body,
		postOptions{Now: time.Now().UTC(), Update: updateGiven})
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	art := res.Article
	if res.FileID != fm.ID {
		if err := recordFileID(file, data, res.FileID); err != nil {
			fmt.Fprintf(stderr, "%s: could not write the article's id into the file (%v).\n"+
				"Add the line `id: %s` under the first '---' yourself: without it, posting the file again is refused.\n", file, err, res.FileID)
		}
	}
	urls, _ := federation.NewURLs(cfg.BaseURL)
	fed, err := federation.NewService(federation.Config{URLs: urls, AllowPrivatePeers: cfg.AllowPrivatePeers}, store, cfg.logger(stderr).With("cmd", "post"))
	if err != nil {
		return err
	}
	if err := fed.ArticleSaved(ctx, art.ID); err != nil {
		return fmt.Errorf("federate %s: %w", art.Slug, err)
	}
	what := "updated"
	if res.Created {
		what = "created"
	}
	fmt.Fprint(stdout, postOutcome(art, urls, time.Now(), what))
	return nil
}

// postOutcome tells what `fedpress post` did. Only a live article has a
// public URL: a draft or a scheduled article answers 404 there until it
// goes live, so for those the admin page to preview and edit it is given.
// what (created or updated) leads the URL of a live article.
func postOutcome(art *models.Article, urls federation.URLs, now time.Time, what string) string {
	edit := urls.Abs(fmt.Sprintf("/admin/articles/%d/edit/", art.ID))
	switch {
	case art.Status == models.StatusDraft:
		return fmt.Sprintf("Draft saved, not published: %q.\nPreview and edit it at %s\nSet draft: false and post the file again to publish it.\n", art.Title, edit)
	case art.IsScheduled(now):
		return fmt.Sprintf("Scheduled: %q will be published on %s at %s\nPreview and edit it at %s\n",
			art.Title, art.PublishedAt.UTC().Format("2006-01-02 15:04 MST"), urls.Abs(art.Permalink()), edit)
	}
	return what + " " + urls.Abs(art.Permalink()) + "\n"
}

// postOptions are what publishFile needs besides the file.
type postOptions struct {
	Now time.Time
	// Update allows updating an article whose slug the file names but
	// which the file did not create.
	Update bool
}

// postResult is what publishFile did.
type postResult struct {
	Article *models.Article
	Created bool
	// FileID is the article's id for the file's front matter; the caller
	// writes it into the file when it differs from what the file holds.
	FileID string
}

// publishFile uploads the local images of body, renders it and saves the
// article: the one the file's id names, or a new one (see cmdPost for
// which articles a file may update).
func publishFile(ctx context.Context, store *models.Store, media web.MediaStore, dir string, fm frontMatter, body string, opt postOptions) (postResult, error) {
	var res postResult
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
		return res, fmt.Errorf("author: %w", err)
	}
	target, err := postTarget(ctx, store, fm, opt.Update)
	if err != nil {
		return res, err
	}
	slug := fm.Slug
	switch {
	case slug != "":
		slug = web.Slugify(slug)
	case target != nil:
		slug = target.Slug // a changed title keeps the address
	default:
		slug = web.Slugify(fm.Title)
	}
	if other, err := store.SlugTakenBy(ctx, slug, idOf(target)); err != nil {
		return res, err
	} else if other != nil {
		return res, slugTakenError(slug, other, target == nil)
	}

	loc := time.UTC
	if st, err := store.GetSettings(ctx); err == nil {
		if l, ok := web.LoadTimeZone(st.TimeZone); ok {
			loc = l
		}
	} else if !models.ErrIsNotFound(err) {
		return res, err
	}
	published, err := fm.Date.Time(loc)
	if err != nil {
		return res, err
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
		return res, uploadErr
	}
	// Images listed in front matter but not used in the body are attached too.
	for _, im := range fm.Images {
		if _, used := uploaded[im.Path]; used || isRemoteOrMedia(im.Path) {
			continue
		}
		m, err := uploadLocalImage(ctx, store, media, dir, im.Path, author.ID, meta)
		if err != nil {
			return res, err
		}
		uploaded[m.Path] = m
	}
	html, mediaIDs, err := renderWithMedia(ctx, store, body)
	if err != nil {
		return res, err
	}
	for _, m := range uploaded {
		mediaIDs = appendUnique(mediaIDs, m.ID)
	}

	in := models.ArticleInput{
		Title: fm.Title, Slug: slug, Summary: fm.Summary, Markdown: body, HTML: html, Format: "markdown",
		Status: models.StatusPublished, AuthorID: author.ID, Tags: fm.allTags(), MediaIDs: mediaIDs, Pinned: fm.Pinned,
		EditorID: author.ID, FileKey: fm.ID,
	}
	if fm.isDraft() {
		in.Status = models.StatusDraft
	}
	if target != nil {
		if published == nil {
			published = target.PublishedAt
		}
		if fm.Author == "" { // the article stays its author's unless the file names one
			in.AuthorID = target.AuthorID
		}
		in.Language = target.Language
		if in.FileKey == "" && target.FileKey != nil {
			in.FileKey = *target.FileKey
		}
	}
	if in.FileKey == "" {
		if in.FileKey, err = newFileID(); err != nil {
			return res, err
		}
	}
	if published == nil {
		published = &opt.Now
	}
	p := published.UTC()
	in.PublishedAt = &p
	a, err := store.SaveArticle(ctx, idOf(target), in)
	if err != nil {
		return res, err
	}
	return postResult{Article: a, Created: target == nil, FileID: in.FileKey}, nil
}

// postTarget is the article the file updates, nil for a new one: the one
// its id names, else with --update the one using its slug.
func postTarget(ctx context.Context, store *models.Store, fm frontMatter, update bool) (*models.Article, error) {
	if fm.ID != "" {
		a, err := store.ArticleByFileKey(ctx, fm.ID)
		switch {
		case err == nil && a.DeletedAt != nil:
			return nil, fmt.Errorf("the article this file made (%q) was deleted in the blog; remove the line `id: %s` to post the file as a new article", a.Title, fm.ID)
		case err == nil:
			return a, nil
		case !models.ErrIsNotFound(err):
			return nil, err
		}
		// An id this blog does not know: the file comes from another blog
		// (or an export); it makes a new article here, under its id.
	}
	if !update {
		return nil, nil
	}
	slug := fm.Slug
	if slug == "" {
		slug = fm.Title
	}
	a, err := store.ArticleBySlug(ctx, web.Slugify(slug))
	switch {
	case models.ErrIsNotFound(err):
		return nil, nil // nothing to update: --update creates it
	case err != nil:
		return nil, err
	case a.DeletedAt != nil:
		return nil, fmt.Errorf("the slug %q belongs to the deleted article %q; choose another slug", a.Slug, a.Title)
	}
	return a, nil
}

// slugTakenError explains why a file may not take a slug.
func slugTakenError(slug string, other *models.Article, creating bool) error {
	if other.DeletedAt != nil {
		return fmt.Errorf("the slug %q belongs to the deleted article %q; set another `slug:` in the front matter", slug, other.Title)
	}
	if creating {
		return fmt.Errorf("the slug %q is already used by article %d %q, which this file did not create; nothing was changed.\n"+
			"To update that article from this file, run again with --update (its current text is kept as a revision);\n"+
			"to post this file as another article, set another `slug:` in its front matter", slug, other.ID, other.Title)
	}
	return fmt.Errorf("the slug %q is already used by article %d %q; set another `slug:` in the front matter", slug, other.ID, other.Title)
}

// newFileID is a random article id for a file's front matter.
func newFileID() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("file id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func idOf(a *models.Article) uint {
	if a == nil {
		return 0
	}
	return a.ID
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
