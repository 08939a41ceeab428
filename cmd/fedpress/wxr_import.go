package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	stdhtml "html"
	"io"
	"mime"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"fedpress/federation"
	"fedpress/models"
	"fedpress/web"
)

// cmdImportWXR imports a WordPress export file into the blog.
func cmdImportWXR(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlagSet("fedpress import-wxr", stderr, &cfg, false)
	mediaDir := fs.String("media-dir", "", "copy of the old blog's wp-content/uploads folder; its images are imported, the others stay links to the old site (env FEDPRESS_MEDIA_DIR)")
	setUsage(fs, "usage: fedpress import-wxr [flags] FILE.xml\n\n"+
		"Imports a WordPress export (Tools → Export → All content): authors, posts, drafts,\n"+
		"categories and tags, comments, pingbacks, trackbacks, attachments and the old URLs.\n"+
		"It runs in one transaction: a damaged file imports nothing. Running it again\n"+
		"imports only what is new. Imported posts are never pushed to followers.\n"+
		"With SQLite the transaction holds the write lock until the import ends: a running\n"+
		"`fedpress serve` waits (up to 10 s per write), so import large blogs before going live.", storeOnly()...)
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	file := pos[0]
	// Fail on a missing file before the database is created or opened.
	if f, err := os.Open(file); err != nil {
		return fmt.Errorf("read %s: %w", file, err)
	} else {
		f.Close()
	}
	if *mediaDir != "" {
		if st, err := os.Stat(*mediaDir); err != nil || !st.IsDir() {
			return fmt.Errorf("--media-dir %s is not a folder", *mediaDir)
		}
	}
	if cfg.BaseURL == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	store, st, err := openStore(ctx, &cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	sum, err := importWXR(ctx, store, func() (io.ReadCloser, error) { return os.Open(file) }, wxrOptions{
		MediaDir:     *mediaDir,
		Media:        web.DirStore{Dir: filepath.Join(cfg.Data, "media")},
		BlogUsername: st.BlogUsername,
		Keys:         federation.GenerateKeyPair,
		Now:          time.Now().UTC(),
	})
	if err != nil {
		return fmt.Errorf("%s: %w (nothing was imported)", file, err)
	}
	sum.print(stdout)
	return nil
}

// wxrOptions configure importWXR.
type wxrOptions struct {
	MediaDir     string         // the old uploads folder; empty keeps every image remote
	Media        web.MediaStore // the data folder's media
	BlogUsername string         // reserved for the blog actor
	Keys         func() (priv, pub string, err error)
	Now          time.Time
}

// wxrCount is what happened to one kind of thing.
type wxrCount struct{ Imported, Skipped int }

// wxrSummary is what importWXR reports.
type wxrSummary struct {
	Site                               string
	Authors, Articles, Comments, Pings wxrCount
	Media                              wxrCount
	Redirects                          int
	Ignored                            int // pages, menus, trashed posts…: not articles
}

func (s wxrSummary) print(w io.Writer) {
	fmt.Fprintf(w, "imported %s\n", s.Site)
	row := func(name string, c wxrCount) {
		fmt.Fprintf(w, "  %-10s %4d imported, %4d already there\n", name+":", c.Imported, c.Skipped)
	}
	row("authors", s.Authors)
	row("articles", s.Articles)
	row("comments", s.Comments)
	row("pingbacks", s.Pings) // pingbacks, trackbacks and webmentions
	row("media", s.Media)
	fmt.Fprintf(w, "  %-10s %4d old URLs now redirect\n", "redirects:", s.Redirects)
	if s.Ignored > 0 {
		fmt.Fprintf(w, "  %-10s %4d items that are not posts (pages, menus, trash)\n", "ignored:", s.Ignored)
	}
}

// wxrAttachment is what the importer keeps of an attachment item.
type wxrAttachment struct {
	Parent                         int
	URL, File, Alt, Caption, Login string
}

// importWXR reads the export twice: a first pass checks the whole file and
// collects authors and attachments (small), the second imports the posts
// one at a time inside one transaction. A damaged file fails in the first
// pass, before anything is written; any later failure rolls back.
func importWXR(ctx context.Context, store *models.Store, open func() (io.ReadCloser, error), opt wxrOptions) (wxrSummary, error) {
	var sum wxrSummary
	var authors []wxrAuthor
	var attachments []wxrAttachment
	hosts := map[string]bool{}
	scan := wxrHandler{
		Author: func(a wxrAuthor) error { authors = append(authors, a); return nil },
		Item: func(it *wxrItem) error {
			switch it.PostType {
			case "post":
				if _, ok := wxrPostStatus(it.Status); !ok {
					sum.Ignored++
				}
			case "attachment":
				attachments = append(attachments, wxrAttachment{
					Parent: it.PostParent, URL: strings.TrimSpace(it.AttachmentURL),
					File: it.AttachedFile, Alt: it.AttachmentAlt, Caption: it.Excerpt, Login: it.Creator,
				})
				if u, err := url.Parse(strings.TrimSpace(it.AttachmentURL)); err == nil && u.Host != "" {
					hosts[strings.ToLower(u.Host)] = true
				}
			default:
				sum.Ignored++
			}
			return nil
		},
	}
	ch, err := parseFile(open, scan)
	if err != nil {
		return sum, err
	}
	sum.Site = ch.Title
	if link := ch.SiteLink(); link != "" {
		sum.Site = fmt.Sprintf("%q (%s)", ch.Title, link)
	}
	for _, u := range []string{ch.Link, ch.BaseSiteURL, ch.BaseBlogURL} {
		if pu, err := url.Parse(strings.TrimSpace(u)); err == nil && pu.Host != "" {
			hosts[strings.ToLower(pu.Host)] = true
		}
	}

	err = store.Tx(ctx, func(tx *models.Store) error {
		im := &wxrImporter{
			opt: opt, tx: tx, ch: ch, site: ch.SiteLink(), hosts: hosts, sum: &sum,
			authors: map[string]uint{}, authorsByWPID: map[int]uint{},
			media: map[string]*models.Media{}, attached: map[int][]uint{},
		}
		for _, a := range authors {
			if _, err := im.author(ctx, a); err != nil {
				return err
			}
		}
		for _, a := range attachments {
			if err := im.attachment(ctx, a); err != nil {
				return err
			}
		}
		_, err := parseFile(open, wxrHandler{Item: func(it *wxrItem) error {
			if it.PostType != "post" {
				return nil
			}
			return im.post(ctx, it)
		}})
		return err
	})
	if err != nil {
		return wxrSummary{}, err
	}
	return sum, nil
}

func parseFile(open func() (io.ReadCloser, error), h wxrHandler) (wxrChannel, error) {
	f, err := open()
	if err != nil {
		return wxrChannel{}, fmt.Errorf("open export: %w", err)
	}
	defer f.Close()
	return parseWXR(f, h)
}

// wxrImporter is the state of one import inside its transaction.
type wxrImporter struct {
	opt           wxrOptions
	tx            *models.Store
	ch            wxrChannel
	site          string
	hosts         map[string]bool // hosts of the old blog: their upload URLs are ours to rewrite
	sum           *wxrSummary
	authors       map[string]uint // WordPress login → author id
	authorsByWPID map[int]uint
	media         map[string]*models.Media // upload path or URL → media; nil: not available
	attached      map[int][]uint           // post id → media ids of its attachments
}

func (im *wxrImporter) author(ctx context.Context, a wxrAuthor) (uint, error) {
	name := strings.TrimSpace(stdhtml.UnescapeString(a.DisplayName))
	if name == "" {
		name = strings.TrimSpace(stdhtml.UnescapeString(a.First + " " + a.Last))
	}
	if name == "" {
		name = strings.TrimSpace(a.Login)
	}
	if name == "" {
		name = "WordPress author"
	}
	u := wxrUsername(a.Login, im.opt.BlogUsername)
	got, created, err := im.tx.ImportWXRAuthor(ctx, models.Author{Username: u, Name: name, Email: strings.TrimSpace(a.Email)}, im.opt.Keys)
	if err != nil {
		return 0, err
	}
	if created {
		im.sum.Authors.Imported++
	} else {
		im.sum.Authors.Skipped++
	}
	im.authors[a.Login] = got.ID
	if a.ID != 0 {
		im.authorsByWPID[a.ID] = got.ID
	}
	return got.ID, nil
}

// authorFor finds the author of an item by its dc:creator login. Exports
// older than WXR 1.1 list no authors; those are created on first use.
func (im *wxrImporter) authorFor(ctx context.Context, login string) (uint, error) {
	if id, ok := im.authors[login]; ok {
		return id, nil
	}
	return im.author(ctx, wxrAuthor{Login: login})
}

// maxUploadFile bounds the files read from --media-dir.
const maxUploadFile = 64 << 20

// reUploadsDir finds the uploads folder in a WordPress media URL.
var reUploadsDir = regexp.MustCompile(`/wp-content/uploads/`)

// uploadPath returns the path of a media URL inside the uploads folder
// ("2012/11/photo.jpg") when the URL belongs to the old blog.
func (im *wxrImporter) uploadPath(raw string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Host != "" && !im.hosts[strings.ToLower(u.Host)]) || (u.Host == "" && !strings.HasPrefix(u.Path, "/")) {
		return "", false
	}
	loc := reUploadsDir.FindStringIndex(u.Path)
	if loc == nil {
		return "", false
	}
	return cleanUploadPath(u.Path[loc[1]:])
}

// cleanUploadPath accepts only a relative path that stays inside the
// uploads folder: the export is data, not a licence to read any file.
func cleanUploadPath(p string) (string, bool) {
	p = path.Clean(strings.TrimSpace(p))
	if p == "." || !filepath.IsLocal(filepath.FromSlash(p)) {
		return "", false
	}
	return p, true
}

// readUpload finds rel in --media-dir, which may be the uploads folder
// itself, or a folder holding uploads/ or wp-content/uploads/. Files are
// opened through os.Root: a path or symbolic link leading out of the
// folder (a link to /etc/passwd or to the data folder planted among the
// uploads) is refused, not read.
func (im *wxrImporter) readUpload(rel string) ([]byte, bool, error) {
	if im.opt.MediaDir == "" {
		return nil, false, nil
	}
	root, err := os.OpenRoot(im.opt.MediaDir)
	if err != nil {
		return nil, false, fmt.Errorf("--media-dir: %w", err)
	}
	defer root.Close()
	for _, prefix := range []string{"", "uploads", filepath.Join("wp-content", "uploads")} {
		p := filepath.Join(prefix, filepath.FromSlash(rel))
		data, ok, err := readRegular(root, p)
		if err != nil {
			return nil, false, fmt.Errorf("read %s: %w", filepath.Join(im.opt.MediaDir, p), err)
		}
		if ok {
			return data, true, nil
		}
	}
	return nil, false, nil
}

// readRegular reads a regular file of at most maxUploadFile bytes inside
// root; ok is false when there is none (missing, a folder, too large to be
// an article image, or outside root).
func readRegular(root *os.Root, p string) (data []byte, ok bool, err error) {
	f, err := root.Open(p)
	if err != nil {
		return nil, false, nil
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() > maxUploadFile {
		return nil, false, nil
	}
	data, err = io.ReadAll(io.LimitReader(f, maxUploadFile+1))
	if err != nil {
		return nil, false, err
	}
	if len(data) > maxUploadFile {
		return nil, false, nil
	}
	return data, true, nil
}

// localMedia stores an image from --media-dir under its content hash (the
// scheme `fedpress post` uses, so the same file is one media row).
func (im *wxrImporter) localMedia(ctx context.Context, data []byte, m models.Media) (*models.Media, bool, error) {
	info, err := web.SniffImage(data)
	if err != nil {
		return nil, false, nil // a PDF or such: not served as media, keep the link
	}
	sum := sha256.Sum256(data)
	base := hex.EncodeToString(sum[:12])
	m.Path = base + info.Ext
	got, created, err := im.tx.ImportWXRMedia(ctx, m, func(m *models.Media) error {
		stored, err := web.StoreImage(im.opt.Media, base, data)
		if err != nil {
			return err
		}
		sm := mediaOf(stored)
		m.Path, m.MimeType, m.Width, m.Height, m.Size, m.Variants = sm.Path, sm.MimeType, sm.Width, sm.Height, sm.Size, sm.Variants
		return nil
	})
	if errors.Is(err, web.ErrNotImage) || errors.Is(err, web.ErrTooManyPixels) {
		return nil, false, nil // unreadable or huge: keep the link
	}
	if err != nil {
		return nil, false, err
	}
	return got, created, nil
}

// remoteMedia records an attachment that stays on the old site. Its path
// is derived from the URL: stable across imports, never a file of ours.
func (im *wxrImporter) remoteMedia(ctx context.Context, rawURL string, m models.Media) (*models.Media, bool, error) {
	sum := sha256.Sum256([]byte(rawURL))
	ext := strings.ToLower(path.Ext(strings.SplitN(rawURL, "?", 2)[0]))
	if len(ext) > 6 || strings.ContainsAny(ext, `/\`) {
		ext = ""
	}
	m.Path = "wxr-" + hex.EncodeToString(sum[:12]) + ext
	m.RemoteURL = rawURL
	m.MimeType = mime.TypeByExtension(ext)
	if i := strings.IndexByte(m.MimeType, ';'); i >= 0 {
		m.MimeType = m.MimeType[:i]
	}
	if m.MimeType == "" {
		m.MimeType = "application/octet-stream"
	}
	return im.tx.ImportWXRMedia(ctx, m, nil)
}

func (im *wxrImporter) countMedia(created bool) {
	if created {
		im.sum.Media.Imported++
	} else {
		im.sum.Media.Skipped++
	}
}

func (im *wxrImporter) attachment(ctx context.Context, a wxrAttachment) error {
	if a.URL == "" {
		return nil
	}
	authorID, err := im.authorFor(ctx, a.Login)
	if err != nil {
		return err
	}
	rel, ok := cleanUploadPath(a.File)
	if !ok {
		rel, ok = im.uploadPath(a.URL)
	}
	meta := models.Media{
		AuthorID: authorID,
		Alt:      strings.TrimSpace(stdhtml.UnescapeString(a.Alt)),
		Caption:  strings.TrimSpace(web.PlainText(a.Caption)),
	}
	var m *models.Media
	created := false
	if ok {
		data, found, err := im.readUpload(rel)
		if err != nil {
			return err
		}
		if found {
			if m, created, err = im.localMedia(ctx, data, meta); err != nil {
				return err
			}
		}
	}
	if m == nil {
		if m, created, err = im.remoteMedia(ctx, a.URL, meta); err != nil {
			return err
		}
	}
	im.countMedia(created)
	im.media[a.URL] = m
	if rel != "" {
		im.media[rel] = m
	}
	if a.Parent != 0 {
		im.attached[a.Parent] = appendUnique(im.attached[a.Parent], m.ID)
	}
	return nil
}

// resolveMedia maps an image or link URL of a post to our media: the new
// URL (for a local copy) and the media id. Images that have no attachment
// item (resized copies such as photo-300x200.jpg) are imported when the
// file is in --media-dir.
func (im *wxrImporter) resolveMedia(ctx context.Context, raw string, authorID uint) (newURL string, id uint, ok bool, err error) {
	m, known := im.media[strings.TrimSpace(raw)]
	rel, isUpload := im.uploadPath(raw)
	if !known && isUpload {
		m, known = im.media[rel]
		if !known {
			data, found, err := im.readUpload(rel)
			if err != nil {
				return "", 0, false, err
			}
			if found {
				var created bool
				if m, created, err = im.localMedia(ctx, data, models.Media{AuthorID: authorID}); err != nil {
					return "", 0, false, err
				}
				if m != nil {
					im.countMedia(created)
				}
			}
			im.media[rel] = m // nil remembers "not there" for the next post
		}
	}
	if m == nil {
		return "", 0, false, nil
	}
	if m.RemoteURL != "" {
		return raw, m.ID, true, nil // stays where it is, but is the post's media
	}
	return "/media/" + m.Path, m.ID, true, nil
}

// content converts a post's content: shortcodes and paragraphs, media URLs
// of the old blog rewritten to ours, then sanitized.
func (im *wxrImporter) content(ctx context.Context, raw string, authorID uint) (string, []uint, error) {
	var ids []uint
	var rerr error
	body := rewriteHTMLURLs(wpContent(raw), func(u string) (string, bool) {
		if rerr != nil {
			return "", false
		}
		nu, id, ok, err := im.resolveMedia(ctx, u, authorID)
		if err != nil {
			rerr = err
			return "", false
		}
		if !ok {
			return "", false
		}
		ids = appendUnique(ids, id)
		return nu, nu != u
	})
	if rerr != nil {
		return "", nil, rerr
	}
	body = dropEmptyParas(web.SanitizeArticle(body))
	if err := im.describeMedia(ctx, body); err != nil {
		return "", nil, err
	}
	return body, ids, nil
}

// describeMedia gives media that has no alt text (no
// _wp_attachment_image_alt, or no attachment item at all) the alt text the
// post's <img> gives it: it is what followers' servers show.
func (im *wxrImporter) describeMedia(ctx context.Context, body string) error {
	for src, alt := range web.ImageAlts(body) {
		if alt == "" {
			continue
		}
		m := im.media[src]
		if name, ok := web.MediaName(src); ok && m == nil {
			for _, known := range im.media {
				if known != nil && known.Path == name {
					m = known
					break
				}
			}
		}
		if m == nil || m.Alt != "" {
			continue
		}
		m.Alt = alt
		if err := im.tx.SaveMedia(ctx, m); err != nil {
			return fmt.Errorf("describe media %s: %w", m.Path, err)
		}
	}
	return nil
}

var reSlug = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// wxrSlug is the article slug: WordPress's own when it is one of ours
// already, else made from it or from the title.
func wxrSlug(postName, title string, postID int) string {
	name, err := url.PathUnescape(strings.TrimSpace(postName))
	if err != nil {
		name = postName
	}
	if reSlug.MatchString(name) && len(name) <= 200 {
		return name
	}
	for _, s := range []string{name, title} {
		if strings.TrimSpace(s) == "" {
			continue
		}
		if slug := web.Slugify(s); slug != "article" {
			return slug
		}
	}
	if postID > 0 {
		return fmt.Sprintf("post-%d", postID)
	}
	return "article"
}

// wxrRedirects lists the old URLs of a post: the ?p= link that works on
// every WordPress, the day-and-name and name-only permalinks (the two most
// common structures), and the exact permalink the export recorded.
func wxrRedirects(it *wxrItem) []string {
	var out []string
	add := func(p string) {
		for _, o := range out {
			if o == p {
				return
			}
		}
		out = append(out, p)
	}
	if it.PostID > 0 {
		add(fmt.Sprintf("/?p=%d", it.PostID))
	}
	name, err := url.PathUnescape(strings.TrimSpace(it.PostName))
	if err == nil && name != "" && !strings.ContainsAny(name, "/?#") {
		// Permalinks use the blog's local date, which is post_date (not _gmt).
		if !it.PostDate.IsZero() {
			d := it.PostDate
			add(fmt.Sprintf("/%04d/%02d/%02d/%s/", d.Year(), int(d.Month()), d.Day(), name))
		}
		add("/" + name + "/")
	}
	if u, err := url.Parse(strings.TrimSpace(it.Link)); err == nil && u.Path != "" && u.Path != "/" {
		add(u.Path)
	}
	return out
}

func (im *wxrImporter) post(ctx context.Context, it *wxrItem) error {
	status, ok := wxrPostStatus(it.Status)
	if !ok {
		return nil
	}
	authorID, err := im.authorFor(ctx, it.Creator)
	if err != nil {
		return err
	}
	body, mediaIDs, err := im.content(ctx, it.Content, authorID)
	if err != nil {
		return fmt.Errorf("post %d: %w", it.PostID, err)
	}
	for _, id := range im.attached[it.PostID] {
		mediaIDs = appendUnique(mediaIDs, id)
	}
	title := strings.TrimSpace(stdhtml.UnescapeString(it.Title))
	if title == "" {
		// Status-like posts have no title; ours need one to be listed.
		if title = web.Excerpt(body, 8); title == "" {
			title = "Untitled"
		}
	}
	var tags []string
	for _, c := range it.Categories {
		// "Uncategorized" is WordPress's placeholder for "no category".
		if (c.Domain == "category" || c.Domain == "post_tag") && !(c.Domain == "category" && c.Nicename == "uncategorized") {
			tags = append(tags, strings.TrimSpace(stdhtml.UnescapeString(c.Name)))
		}
	}
	var published *time.Time
	date := it.PostDateGMT
	if date.IsZero() && status == models.StatusPublished {
		date = it.PostDate // very old exports lack GMT dates
	}
	if date.IsZero() && status == models.StatusPublished {
		date = im.opt.Now
	}
	if !date.IsZero() {
		d := date.UTC()
		published = &d // a draft without a date gets one when it is published
	}

	var comments []models.WXRComment
	for i, c := range it.Comments {
		comments = append(comments, im.comment(it, i, c))
	}
	res, err := im.tx.ImportWXRPost(ctx, models.WXRPost{
		Article: models.ArticleInput{
			Title: title, Slug: wxrSlug(it.PostName, title, it.PostID), Summary: strings.TrimSpace(web.PlainText(it.Excerpt)),
			HTML: body, Format: "html", Status: status, PublishedAt: published, Language: im.ch.Language,
			AuthorID: authorID, Tags: tags, MediaIDs: mediaIDs, Pinned: it.Sticky, Imported: true, WPPostID: it.PostID,
		},
		Redirects: wxrRedirects(it),
		Comments:  comments,
	})
	if err != nil {
		return err
	}
	if res.Created {
		im.sum.Articles.Imported++
	} else {
		im.sum.Articles.Skipped++
	}
	for kind, n := range res.Added {
		if kind == models.KindComment {
			im.sum.Comments.Imported += n
		} else {
			im.sum.Pings.Imported += n
		}
	}
	for kind, n := range res.Skipped {
		if kind == models.KindComment {
			im.sum.Comments.Skipped += n
		} else {
			im.sum.Pings.Skipped += n
		}
	}
	im.sum.Redirects += res.Redirects
	return nil
}

// comment converts a wp:comment. Comments are visitors' text: they get the
// remote sanitizer (links nofollow), not the author's.
func (im *wxrImporter) comment(it *wxrItem, i int, c wxrComment) models.WXRComment {
	uri := fmt.Sprintf("wxr:%s:comment:%d", im.site, c.ID)
	if c.ID == 0 { // never written by WordPress; keep such comments apart
		uri = fmt.Sprintf("wxr:%s:post:%d:comment-at:%d", im.site, it.PostID, i)
	}
	date := c.DateGMT
	if date.IsZero() {
		date = c.Date
	}
	if date.IsZero() {
		date = im.opt.Now
	}
	date = date.UTC()
	name := strings.TrimSpace(stdhtml.UnescapeString(c.Author))
	in := models.Interaction{
		Kind: wxrCommentKind(c.Type), Source: models.SourceWXR, Status: wxrCommentStatus(c.Approved),
		AuthorName: name, AuthorEmail: strings.TrimSpace(c.AuthorEmail), AuthorURL: strings.TrimSpace(c.AuthorURL),
		AuthorIP: strings.TrimSpace(c.AuthorIP), ObjectURI: &uri, Visibility: "public",
		Content:     dropEmptyParas(web.SanitizeRemote(wpautop(strings.ReplaceAll(c.Content, "\r\n", "\n")))),
		PublishedAt: date, CreatedAt: date, // moderation lists sort by created_at: keep them in history's order
	}
	if in.Kind != models.KindComment {
		// WordPress stores the linking page's title as the author.
		in.URL, in.Title = in.AuthorURL, name
	}
	if id, ok := im.authorsByWPID[c.UserID]; ok && c.UserID != 0 {
		in.LocalAuthorID = &id
	}
	return models.WXRComment{WPID: c.ID, WPParentID: c.Parent, Interaction: in}
}
