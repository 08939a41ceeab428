package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"fedpress/models"
	"fedpress/web"
)

// dateInputLayout is what <input type="datetime-local"> sends and shows.
const dateInputLayout = "2006-01-02T15:04"

// articleForm is the editor's fields as typed, so a refused save shows
// them again unchanged.
type articleForm struct {
	Title, Slug, Summary, Body, Tags string
	PublishedAt                      string // datetime-local value, in UTC
	// PublishedUTC is set by admin.js from the browser's time zone; it wins
	// over PublishedAt, which without JavaScript is read as UTC.
	PublishedUTC string
	Pinned       bool
	Action       string // "draft" or "publish"
	// FeaturedMedia is the chosen featured image's media id, "0" for the
	// first image; "" (a form without the choice) keeps the saved one.
	FeaturedMedia string
	Kind          string // models.ArticlePost or models.ArticlePage
}

func readArticleForm(c echo.Context) articleForm {
	r := c.Request()
	v := func(k string) string { return r.PostFormValue(k) }
	return articleForm{
		Title: strings.TrimSpace(v("title")), Slug: strings.TrimSpace(v("slug")),
		Summary: strings.TrimSpace(v("summary")), Body: strings.ReplaceAll(v("body"), "\r\n", "\n"),
		Tags: v("tags"), PublishedAt: strings.TrimSpace(v("published_at")),
		PublishedUTC: strings.TrimSpace(v("published_utc")),
		Pinned:       v("pinned") != "", Action: v("action"), Kind: v("kind"),
		FeaturedMedia: strings.TrimSpace(v("featured_media")),
	}
}

// formFromArticle fills the editor from a saved article. Imported HTML
// articles have no Markdown: their HTML is shown, which Markdown keeps.
func formFromArticle(a *models.Article) articleForm {
	f := articleForm{Title: a.Title, Slug: a.Slug, Summary: a.Summary, Body: a.Markdown, Pinned: a.Pinned, Kind: a.Kind}
	if reUntitledSlug.MatchString(a.Slug) {
		f.Slug = "" // made up for an untitled draft: the title will make it
	}
	if f.Body == "" && a.Format == "html" {
		f.Body = a.HTML
	}
	names := make([]string, len(a.Tags))
	for i, t := range a.Tags {
		names[i] = t.Name
	}
	f.Tags = joinTags(names)
	f.FeaturedMedia = "0"
	if a.FeaturedMediaID != nil {
		f.FeaturedMedia = strconv.FormatUint(uint64(*a.FeaturedMediaID), 10)
	}
	if a.PublishedAt != nil {
		f.PublishedAt = a.PublishedAt.UTC().Format(dateInputLayout)
	}
	return f
}

// publishTime is the chosen publication date, nil when none was given.
func (f articleForm) publishTime() (*time.Time, error) {
	if f.PublishedUTC != "" {
		t, err := time.Parse(time.RFC3339, f.PublishedUTC)
		if err != nil {
			return nil, fmt.Errorf("publish date %q: %w", f.PublishedUTC, err)
		}
		t = t.UTC().Truncate(time.Second)
		return &t, nil
	}
	if f.PublishedAt == "" {
		return nil, nil
	}
	for _, layout := range []string{dateInputLayout, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, f.PublishedAt, time.UTC); err == nil {
			return &t, nil
		}
	}
	return nil, fmt.Errorf("publish date %q: not a date", f.PublishedAt)
}

// tagNames splits the comma-separated tags.
func (f articleForm) tagNames() []string {
	var out []string
	for _, t := range strings.Split(f.Tags, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// joinTags is the tags field holding names.
func joinTags(names []string) string { return strings.Join(names, ", ") }

// renderArticleBody renders markdown as saved, with the sizes of the
// uploads it shows, and returns those uploads.
func (s *Server) renderArticleBody(ctx context.Context, markdown string) (string, []models.Media, error) {
	media, err := s.Store.MediaByPaths(ctx, web.MediaNames(markdown))
	if err != nil {
		return "", nil, err
	}
	byName := make(map[string]models.Media, len(media))
	for _, m := range media {
		byName[m.Path] = m
	}
	html, _, err := web.PrepareArticle(markdown, func(name string) (web.MediaImage, bool) {
		m, ok := byName[name]
		return mediaImage(m), ok
	})
	if err != nil {
		return "", nil, fmt.Errorf("render article body: %w", err)
	}
	return html, media, nil
}

// saveArticle validates f and saves it as article id (0 creates one by
// user), returning the flash code that tells what happened. Problems the
// author can fix come back as messages, with a nil article; err is for
// everything else. The caller has checked that user may edit article id;
// the article stays its author's, user is recorded as its last editor.
// An autosave saves a draft like "Save draft" but never reports a slug
// made from the title that another article uses: it keeps the slug it had.
func (s *Server) saveArticle(ctx context.Context, id uint, f articleForm, user *models.Author, autosave bool) (a *models.Article, msg string, problems []string, err error) {
	var old *models.Article
	if id != 0 {
		a, err := s.Store.ArticleByID(ctx, id)
		if err != nil {
			return nil, "", nil, err
		}
		if a.DeletedAt != nil {
			return nil, "", nil, fmt.Errorf("article %d is deleted: %w", id, models.ErrNotFound)
		}
		old = a
	}
	switch {
	case f.Title == "" && f.Action == "publish":
		problems = append(problems, "Give the article a title before publishing it (drafts may stay untitled).")
	case utf8.RuneCountInString(f.Title) > 500:
		problems = append(problems, "Titles can have at most 500 characters.")
	}
	if f.Kind == "" { // a form without the field keeps what was saved
		f.Kind = models.ArticlePost
		if old != nil {
			f.Kind = old.Kind
		}
	}
	if f.Kind != models.ArticlePost && f.Kind != models.ArticlePage {
		problems = append(problems, "Choose “Post” or “Page” as the type.")
	}
	if f.Action != "draft" && f.Action != "publish" {
		problems = append(problems, "Choose “Save draft” or “Publish”.")
	}
	published, err := f.publishTime()
	if err != nil {
		problems = append(problems, "The publish date is not a valid date and time.")
	}
	if len(problems) > 0 {
		return nil, "", problems, nil
	}

	in := models.ArticleInput{
		Title: f.Title, Summary: f.Summary, Markdown: f.Body, Format: "markdown",
		Tags: f.tagNames(), Pinned: f.Pinned, AuthorID: user.ID, PublishedAt: published,
		EditorID: user.ID, Autosave: autosave, Kind: f.Kind,
	}
	if old != nil { // what the editor does not show stays as it was
		in.AuthorID, in.Language, in.Imported, in.WPPostID = old.AuthorID, old.Language, old.Imported, old.WPPostID
	}
	in.Status = models.StatusDraft
	if f.Action == "publish" {
		in.Status = models.StatusPublished
		if in.PublishedAt == nil {
			now := s.Now().Truncate(time.Second)
			in.PublishedAt = &now
		}
	}
	slug, problem, err := s.chooseSlug(ctx, old, f, autosave)
	if err != nil {
		return nil, "", nil, err
	}
	if problem != "" {
		return nil, "", []string{problem}, nil
	}
	in.Slug = slug
	if in.Kind == models.ArticlePage {
		if msg := s.pageSlugProblem(in.Slug); msg != "" {
			return nil, "", []string{msg}, nil
		}
	}

	html, media, err := s.renderArticleBody(ctx, f.Body)
	if err != nil {
		return nil, "", nil, err
	}
	in.HTML = html
	for _, m := range media {
		in.MediaIDs = append(in.MediaIDs, m.ID)
	}
	if f.FeaturedMedia != "" {
		n, err := strconv.ParseUint(f.FeaturedMedia, 10, 32)
		if err != nil {
			s.Log.Info("featured image refused", "value", f.FeaturedMedia, "article", id)
			return nil, "", []string{"Choose the featured image from the list."}, nil
		}
		// An image taken out of the text stops being the featured one.
		featured := uint(n)
		if !slices.Contains(in.MediaIDs, featured) {
			featured = 0
		}
		in.FeaturedMediaID = &featured
	}

	a, err = s.Store.SaveArticle(ctx, id, in)
	if err != nil {
		if models.IsDuplicate(err) { // another save took the slug meanwhile
			return nil, "", []string{fmt.Sprintf("Another article has just taken the slug “%s”: choose another one.", in.Slug)}, nil
		}
		return nil, "", nil, err
	}
	// Federation hears of every published save, and of an unpublish, so
	// followers can get the Create, Update or retraction.
	if a.Status == models.StatusPublished || (old != nil && old.Status == models.StatusPublished) {
		if err := s.Fed.ArticleSaved(ctx, a.ID); err != nil {
			s.Log.Error("federate saved article", "article", a.ID, "err", err)
		}
	}
	return a, savedMsg(old, a, s.Now()), nil, nil
}

// reUntitledSlug is the slug of a draft saved without a title.
var reUntitledSlug = regexp.MustCompile(`^untitled-[0-9a-f]{8}$`)

// slugFollowsTitle reports whether old's slug is still made from its title:
// a draft never given a date whose slug nobody typed. Its slug follows the
// title until it is published, as WordPress does, so that an untitled
// draft does not keep a placeholder address.
func slugFollowsTitle(old *models.Article) bool {
	return old.Status == models.StatusDraft && old.PublishedAt == nil &&
		(old.Slug == web.Slugify(old.Title) || reUntitledSlug.MatchString(old.Slug))
}

// chooseSlug is the slug to save f with (old is nil for a new article). A
// slug another article uses is a problem to report, never changed behind
// the author's back; only a draft without a title gets a made-up one.
func (s *Server) chooseSlug(ctx context.Context, old *models.Article, f articleForm, autosave bool) (slug, problem string, err error) {
	typed := f.Slug != "" && (old == nil || f.Slug != old.Slug)
	switch {
	case typed:
		if slug = web.SlugOf(f.Slug); slug == "" {
			return "", "The slug needs at least one letter (a to z) or digit.", nil
		}
	case old != nil && f.Slug != "" && !slugFollowsTitle(old):
		// Unchanged: links to the article keep working after a title fix.
		return old.Slug, "", nil
	default:
		slug = web.SlugOf(f.Title)
	}
	switch {
	case slug == "" && old != nil:
		return old.Slug, "", nil
	case f.Title == "" && !typed: // an untitled draft
		return s.untitledSlug(ctx)
	case slug == "":
		// A title in a script slugs cannot spell: no slug was chosen, so a
		// number may tell it apart; the author may type a better one.
		slug, err = s.Store.UniqueSlug(ctx, "article", 0)
		return slug, "", err
	}
	if old != nil && slug == old.Slug {
		return slug, "", nil
	}
	other, err := s.Store.SlugTakenBy(ctx, slug, idOf(old))
	if err != nil || other == nil {
		return slug, "", err
	}
	if autosave && !typed { // the author is still typing the title
		if old != nil {
			return old.Slug, "", nil
		}
		return s.untitledSlug(ctx)
	}
	title := "the article “" + other.Title + "”"
	switch {
	case other.DeletedAt != nil:
		title = "the deleted article “" + other.Title + "”"
	case other.Title == "":
		title = "an untitled draft"
	}
	if typed {
		return "", fmt.Sprintf("The slug “%s” is already used by %s. Choose another slug.", slug, title), nil
	}
	return "", fmt.Sprintf("The title makes the slug “%s”, which %s already uses. Type another slug under the title.", slug, title), nil
}

// untitledSlug is a free made-up slug for a draft without a title.
func (s *Server) untitledSlug(ctx context.Context) (string, string, error) {
	for range 5 {
		b := make([]byte, 4)
		if _, err := rand.Read(b); err != nil {
			return "", "", fmt.Errorf("untitled slug: %w", err)
		}
		slug := "untitled-" + hex.EncodeToString(b)
		other, err := s.Store.SlugTakenBy(ctx, slug, 0)
		if err != nil {
			return "", "", err
		}
		if other == nil {
			return slug, "", nil
		}
	}
	return "", "", errors.New("untitled slug: no free one found")
}

func idOf(a *models.Article) uint {
	if a == nil {
		return 0
	}
	return a.ID
}

// savedMsg is the flash code after a save; old is nil for a new article.
func savedMsg(old, a *models.Article, now time.Time) string {
	switch {
	case a.Status == models.StatusDraft:
		return "draft"
	case a.IsScheduled(now):
		return "scheduled"
	case old == nil || !old.IsVisible(now):
		return "published"
	}
	return "updated"
}

// articleSaveResponse answers a create or update: back to the editor on
// success, the same form with its problems otherwise.
func (s *Server) articleSaveResponse(c echo.Context, id uint, f articleForm) error {
	ctx := c.Request().Context()
	a, msg, problems, err := s.saveArticle(ctx, id, f, currentUser(c), false)
	if isNotFound(err) {
		return s.adminErrorBack(c, http.StatusNotFound, "This article does not exist (it may have been deleted).", "/admin/articles/")
	}
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		var old *models.Article
		if id != 0 {
			if old, err = s.Store.ArticleByID(ctx, id); err != nil {
				return err
			}
		}
		return s.renderArticleForm(c, http.StatusUnprocessableEntity, old, f, problems)
	}
	return redirectSeeOther(c, withMsg(fmt.Sprintf("/admin/articles/%d/edit/", a.ID), msg))
}
