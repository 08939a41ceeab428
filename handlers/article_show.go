package handlers

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/models"
	"fedpress/web"
)

// maxCommentDepth is how deep replies nest on the page; deeper replies are
// shown flat at the last level, as WordPress does.
const maxCommentDepth = 5

// articleShow is the permalink page /2012/11/slug/, or the article's
// ActivityPub object when the client asks for AS2.
func (s *Server) articleShow(c echo.Context) error {
	// The same URL answers HTML and AS2: caches must key on Accept.
	c.Response().Header().Add("Vary", "Accept")
	a, redirect, err := s.loadPermalink(c)
	if he, ok := err.(*echo.HTTPError); ok && he.Code == http.StatusGone && wantsAS2(c) {
		// AS2 clients get the Tombstone, as from the article's id.
		if gone, lerr := s.Store.ArticleBySlug(c.Request().Context(), c.Param("slug")); lerr == nil {
			return s.articleGone(c, gone)
		}
	}
	if err != nil {
		return err
	}
	if redirect != "" {
		return c.Redirect(http.StatusMovedPermanently, redirect)
	}
	if wantsAS2(c) {
		return s.articleAS2(c, a)
	}
	form := commentForm{}
	if id, err := strconv.ParseUint(c.QueryParam("replytocom"), 10, 64); err == nil {
		form.ParentID = uint(id)
	}
	return s.renderArticle(c, a, http.StatusOK, form, nil)
}

// loadPermalink resolves /:year/:month/:slug/ to a visible article. When
// the path is an earlier permalink of an article, or its slug exists under
// another date, redirect is the article's permalink.
func (s *Server) loadPermalink(c echo.Context) (a *models.Article, redirect string, err error) {
	year, month, slug := c.Param("year"), c.Param("month"), c.Param("slug")
	if !allDigits(year, 4) || !allDigits(month, 2) {
		return nil, "", notFoundf("article path /%s/%s/%s/", year, month, slug)
	}
	ctx := c.Request().Context()
	path := "/" + year + "/" + month + "/" + slug + "/"
	a, err = s.Store.ArticleBySlug(ctx, slug)
	if err != nil && !isNotFound(err) {
		return nil, "", fmt.Errorf("load article %q: %w", slug, err)
	}
	now := s.Now()
	// The article readers can see at this very path wins; otherwise the
	// path may be where a renamed article used to be. A deleted article at
	// its own path stays 410.
	if err != nil || a.Permalink() != path || (a.DeletedAt == nil && !a.IsVisible(now)) {
		moved, merr := s.redirectedArticle(ctx, path)
		if merr != nil && !isNotFound(merr) {
			return nil, "", merr
		}
		if merr == nil && moved.IsVisible(now) && moved.Permalink() != path {
			return moved, withGetQuery(c, moved.Permalink()), nil
		}
	}
	if err != nil {
		return nil, "", fmt.Errorf("load article %q: %w", slug, err)
	}
	if a.DeletedAt != nil {
		return nil, "", echo.NewHTTPError(http.StatusGone, "This article was deleted.")
	}
	if !a.IsVisible(now) {
		return nil, "", notFoundf("article %q not visible", slug)
	}
	if want := a.Permalink(); want != path {
		return a, withGetQuery(c, want), nil
	}
	return a, "", nil
}

// withGetQuery appends a GET request's query to a redirect target, so that
// ?replytocom= and the like survive the move.
func withGetQuery(c echo.Context, target string) string {
	if q := c.Request().URL.RawQuery; q != "" && c.Request().Method == http.MethodGet {
		return target + "?" + q
	}
	return target
}

// allDigits reports 1..max ASCII digits.
func allDigits(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// articleView is what site/article renders.
type articleView struct {
	Article     *models.Article
	AuthorURL   string
	Published   time.Time
	Comments    []*commentView // threads, oldest first
	NComments   int
	Pingbacks   []pingbackView
	Likes       []actorView
	Reactions   []reactionView // emoji reactions, grouped by emoji, in order of first use
	Form        commentForm
	Errors      map[string]string
	ErrorList   []fieldError // Errors in form order, for the summary
	ReplyTo     *commentView // set when answering a comment (?replytocom=)
	Pending     bool         // the visitor's comment awaits moderation
	FormAction  string
	InteractURI string // the article's ActivityPub id for "Reply from your instance"
}

// fieldError links an error summary line to its input.
type fieldError struct{ ID, Message string }

// commentFields maps form field names to input ids, in form order.
var commentFields = [][2]string{
	{"content", "comment"}, {"name", "author"}, {"email", "email"}, {"url", "url"}, {"parent_id", "reply-title"},
}

// commentForm holds the "Leave a Reply" values, kept on errors.
type commentForm struct {
	Name, Email, URL, Content string
	ParentID                  uint
	Remember                  bool // "Save my name, email, and website…"
}

// commentView is one displayed comment.
type commentView struct {
	ID          uint
	Name        string
	NameURL     string // profile or website; empty when none is safe
	External    bool   // NameURL leads off-site (rel=external nofollow ugc)
	Handle      string // @user@host for fediverse commenters
	Avatar      string // image URL; empty shows a letter avatar
	IsAuthor    bool
	Published   time.Time
	DateURL     string
	Content     template.HTML
	Warning     string // content warning text; non-empty folds the content
	Attachments []attachmentView
	Edited      bool
	Held        bool   // the visitor's own comment awaiting moderation
	ReplyURL    string // empty at the deepest level
	Depth       int
	Children    []*commentView
}

type attachmentView struct {
	URL, Alt string
	Image    bool
}

// pingbackView is one line of the "Pingbacks" list.
type pingbackView struct {
	Kind      string
	Title     string
	URL       string
	Excerpt   string
	Actor     actorView
	Published time.Time
}

// reactionView is one emoji and how many reacted with it.
type reactionView struct {
	Emoji string // the unicode emoji, or :shortcode:
	Image string // a custom emoji's image (http(s) only); empty shows Emoji as text
	Count int
	Names string // who reacted, for the tooltip
}

// actorView is whoever boosted or liked: a remote actor mostly.
type actorView struct {
	Name, Handle, URL, Avatar string
}

// renderArticle renders the permalink page with its interactions; the
// comment form carries form and errs (a failed POST answers 400 with them).
func (s *Server) renderArticle(c echo.Context, a *models.Article, status int, form commentForm, errs map[string]string) error {
	ctx := c.Request().Context()
	ints, err := s.Store.ListArticleInteractions(ctx, a.ID)
	if err != nil {
		return err
	}
	// The visitor's own held comments and remembered details make the
	// page personal: no shared cache may keep it (ours skips it too).
	held, err := s.heldComments(ctx, c.Request(), a)
	if err != nil {
		return err
	}
	if fillRemembered(c.Request(), &form) || len(held) > 0 {
		c.Response().Header().Set("Cache-Control", "private, no-store")
	}
	v := &articleView{
		Article: a, AuthorURL: profilePath(a.Author.Username), Form: form, Errors: errs,
		Pending:     c.QueryParam("comment") == "pending",
		FormAction:  a.Permalink() + "comments",
		InteractURI: s.Cfg.URLs.Article(a.ID),
		NComments:   len(ints.Comments),
	}
	if a.PublishedAt != nil {
		v.Published = *a.PublishedAt
	}
	for _, f := range commentFields {
		if msg, ok := errs[f[0]]; ok {
			v.ErrorList = append(v.ErrorList, fieldError{ID: f[1], Message: msg})
		}
	}
	var byID map[uint]*commentView
	v.Comments, byID = threadComments(append(ints.Comments, held...), a.Permalink())
	for i := range held {
		if cv := byID[held[i].ID]; cv != nil {
			cv.Held, cv.ReplyURL = true, "" // answers wait for approval
		}
	}
	if parent, ok := byID[form.ParentID]; ok && parent.ReplyURL != "" && !parent.Held {
		v.ReplyTo = parent
	} else {
		// A stale ?replytocom= or a refused parent starts a new thread, so
		// sending the form again cannot fail on the same parent.
		v.Form.ParentID = 0
	}
	for i := range ints.Pingbacks {
		v.Pingbacks = append(v.Pingbacks, pingbackOf(&ints.Pingbacks[i]))
	}
	for i := range ints.Likes {
		if ints.Likes[i].RemoteActor != nil {
			v.Likes = append(v.Likes, remoteActorView(ints.Likes[i].RemoteActor))
		} else {
			v.Likes = append(v.Likes, actorView{Name: ints.Likes[i].AuthorName})
		}
	}

	v.Reactions = groupReactions(ints.Reactions)

	p, err := s.newPage(c, a.Title, v)
	if err != nil {
		return err
	}
	permalink := s.Cfg.URLs.Abs(a.Permalink())
	p.Canonical = permalink
	// Excerpt again: an author's summary may be longer than a description.
	p.Description = web.Excerpt(articleExcerpt(a, 40), 40)
	p.AlternateAS2 = s.Cfg.URLs.Article(a.ID)
	p.Meta["og:type"] = "article"
	p.Meta["og:title"] = a.Title
	p.Meta["og:url"] = permalink
	p.Meta["og:site_name"] = p.Site.Title
	p.Meta["og:description"] = p.Description
	p.Meta["article:published_time"] = web.FormatRFC3339(a.PublishedAt)
	p.Meta["article:modified_time"] = web.FormatRFC3339(a.UpdatedAt)
	p.Meta["article:author"] = s.Cfg.URLs.Abs(profilePath(a.Author.Username))
	p.Meta["twitter:card"] = "summary"
	p.Meta["twitter:title"] = a.Title
	p.Meta["twitter:description"] = p.Description
	src, alt := web.FirstImage(a.HTML)
	if f := featuredImage(a); f != nil {
		src, alt = f.Src, f.Alt
		if u := s.absURL(f.Src); u != "" {
			p.FeaturedImage = &FeaturedImage{URL: u, Alt: f.Alt, Width: f.Width, Height: f.Height}
		}
	}
	if src != "" {
		if img := s.absURL(src); img != "" {
			p.Meta["og:image"] = img
			p.Meta["twitter:card"] = "summary_large_image"
			p.Meta["twitter:image"] = img
			if alt != "" {
				p.Meta["og:image:alt"] = alt
				p.Meta["twitter:image:alt"] = alt
			}
			if w, h := s.mediaSize(a.Media, img); w > 0 && h > 0 {
				p.Meta["og:image:width"] = strconv.Itoa(w)
				p.Meta["og:image:height"] = strconv.Itoa(h)
			}
		}
	}
	// Mastodon credits the author on link previews; rel=me ties the page
	// to the author's profiles.
	p.Creator = "@" + a.Author.Username + "@" + s.Cfg.URLs.Host()
	p.Me = append([]string{s.Cfg.URLs.Profile(a.Author.Username)}, fieldURLs(a.Author.Fields)...)
	h := c.Response().Header()
	h.Set("X-Pingback", s.Cfg.URLs.Abs("/xmlrpc"))
	h.Add("Link", "<"+s.Cfg.URLs.Abs("/webmention")+`>; rel="webmention"`)
	return s.render(c, status, "site/article", p)
}

// threadComments builds the reply tree, oldest first at every level.
// Replies to comments that are not shown (pending, deleted) start their
// own thread; replies past maxCommentDepth join the deepest level, right
// after the comment they answer.
func threadComments(list []models.Interaction, permalink string) ([]*commentView, map[uint]*commentView) {
	byID := make(map[uint]*commentView, len(list))
	order := make([]*commentView, len(list))
	for i := range list {
		order[i] = commentOf(&list[i])
		byID[order[i].ID] = order[i]
	}
	kids := map[uint][]*commentView{}
	var roots []*commentView
	for i, cv := range order {
		if pid := list[i].ParentID; pid != nil && *pid != cv.ID && byID[*pid] != nil {
			kids[*pid] = append(kids[*pid], cv)
		} else {
			roots = append(roots, cv)
		}
	}
	placed := map[uint]bool{}
	var place func(cv *commentView, depth int, into *[]*commentView)
	place = func(cv *commentView, depth int, into *[]*commentView) {
		if placed[cv.ID] {
			return
		}
		placed[cv.ID] = true
		cv.Depth = depth
		*into = append(*into, cv)
		if depth < maxCommentDepth {
			cv.ReplyURL = permalink + "?replytocom=" + strconv.FormatUint(uint64(cv.ID), 10) + "#respond"
		}
		for _, k := range kids[cv.ID] {
			if depth < maxCommentDepth {
				place(k, depth+1, &cv.Children)
			} else {
				place(k, depth, into)
			}
		}
	}
	var out []*commentView
	for _, r := range roots {
		place(r, 1, &out)
	}
	// A parent loop (corrupt data) leaves comments unplaced: show them anyway.
	for _, cv := range order {
		place(cv, 1, &out)
	}
	return out, byID
}

// commentOf decides how one comment shows: who, which links are safe,
// and the stored (sanitized) content with custom emoji.
func commentOf(in *models.Interaction) *commentView {
	cv := &commentView{
		ID: in.ID, Published: in.PublishedAt, Edited: in.EditedAt != nil,
		DateURL: "#comment-" + strconv.FormatUint(uint64(in.ID), 10),
	}
	switch {
	case in.LocalAuthor != nil:
		cv.Name = in.LocalAuthor.Name
		cv.NameURL = profilePath(in.LocalAuthor.Username)
		cv.Avatar = mediaURL(in.LocalAuthor.AvatarPath)
		cv.IsAuthor = true
	case in.RemoteActor != nil:
		av := remoteActorView(in.RemoteActor)
		cv.Name, cv.NameURL, cv.Handle, cv.Avatar = av.Name, av.URL, av.Handle, av.Avatar
		cv.External = true
	default:
		cv.Name = in.AuthorName
		if u, ok := web.HTTPURL(in.AuthorURL); ok {
			cv.NameURL, cv.External = u, true
		}
	}
	if strings.TrimSpace(cv.Name) == "" {
		cv.Name = "Anonymous"
	}
	if u, ok := web.HTTPURL(in.URL); ok {
		cv.DateURL = u
	}
	// Content was sanitized before it was stored; Emojify only adds
	// escaped <img> tags with http(s) sources.
	content := in.Content
	if in.Source == models.SourceWeb && in.LocalAuthor == nil {
		// Visitors type plain text: their addresses become links (those
		// stored before links were made on write too).
		content = web.Linkify(content)
	}
	cv.Content = template.HTML(web.Emojify(content, emojiMap(in.Emojis))) //nolint:gosec // sanitized on write
	if in.Summary != "" || in.Sensitive {
		cv.Warning = strings.TrimSpace(web.PlainText(in.Summary))
		if cv.Warning == "" {
			cv.Warning = "Sensitive content"
		}
	}
	cv.Attachments = attachmentsOf(in.Attachments)
	return cv
}

func remoteActorView(ra *models.RemoteActor) actorView {
	v := actorView{Name: strings.TrimSpace(ra.Name), Handle: ra.Handle()}
	if ra.Username == "" {
		v.Handle = "" // Handle() falls back to the URI, which is no handle
	}
	if v.Name == "" {
		v.Name = ra.Username
	}
	if v.Name == "" {
		v.Name = ra.Host
	}
	if u, ok := web.HTTPURL(ra.URL); ok {
		v.URL = u
	} else if u, ok := web.HTTPURL(ra.URI); ok {
		v.URL = u
	}
	if u, ok := web.HTTPURL(ra.AvatarURL); ok {
		v.Avatar = u
	}
	return v
}

func pingbackOf(in *models.Interaction) pingbackView {
	pv := pingbackView{Kind: in.Kind, Title: strings.TrimSpace(in.Title), Published: in.PublishedAt}
	if u, ok := web.HTTPURL(in.URL); ok {
		pv.URL = u
	}
	if in.RemoteActor != nil {
		pv.Actor = remoteActorView(in.RemoteActor)
	} else {
		pv.Actor.Name = in.AuthorName
		if u, ok := web.HTTPURL(in.AuthorURL); ok {
			pv.Actor.URL = u
		}
	}
	if pv.URL == "" && in.Kind == models.KindBoost {
		pv.URL = pv.Actor.URL
	}
	pv.Excerpt = web.Excerpt(in.Content, 40)
	if pv.Title == "" {
		pv.Title = pv.Actor.Name
	}
	if pv.Title == "" {
		pv.Title = pv.URL
	}
	return pv
}

// groupReactions counts the reactions per emoji. The emoji was checked on
// the way in (a short run of emoji, or a :shortcode:); a custom emoji's
// image is its stored remote URL, kept only when it is http(s), and shown
// as an <img> like the custom emoji in comments.
func groupReactions(list []models.Interaction) []reactionView {
	var out []reactionView
	at := map[string]int{}
	for i := range list {
		in := &list[i]
		if in.Content == "" {
			continue
		}
		name := strings.TrimSpace(in.AuthorName)
		if in.RemoteActor != nil {
			name = remoteActorView(in.RemoteActor).Name
		}
		j, ok := at[in.Content]
		if !ok {
			j = len(out)
			at[in.Content] = j
			out = append(out, reactionView{Emoji: in.Content})
		}
		rv := &out[j]
		if rv.Image == "" {
			if u, ok := web.HTTPURL(emojiMap(in.Emojis)[strings.Trim(in.Content, ":")]); ok {
				rv.Image = u
			}
		}
		rv.Count++
		if name != "" && rv.Count <= 20 {
			if rv.Names != "" {
				rv.Names += ", "
			}
			rv.Names += name
		}
	}
	return out
}

// emojiMap decodes the stored emoji list; bad JSON just means no emoji.
func emojiMap(raw string) map[string]string {
	if raw == "" {
		return nil
	}
	var list []models.Emoji
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil
	}
	m := make(map[string]string, len(list))
	for _, e := range list {
		m[strings.Trim(e.Name, ":")] = e.URL
	}
	return m
}

// attachmentsOf decodes stored attachments, keeping http(s) URLs only.
func attachmentsOf(raw string) []attachmentView {
	if raw == "" {
		return nil
	}
	var list []models.Attachment
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil
	}
	var out []attachmentView
	for _, at := range list {
		u, ok := web.HTTPURL(at.URL)
		if !ok {
			continue
		}
		out = append(out, attachmentView{URL: u, Alt: at.Name, Image: strings.HasPrefix(at.MediaType, "image/")})
	}
	return out
}
