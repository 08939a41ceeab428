package handlers

import (
	"errors"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"fedpress/models"
	"fedpress/web"
)

const (
	// maxCommentBody bounds the whole form; a 10k-character comment in
	// multi-byte UTF-8, URL-encoded, stays well under it.
	maxCommentBody  = 256 << 10
	maxCommentRunes = 10000
	// honeypotField is hidden from people; bots that fill every field
	// fill it too.
	honeypotField = "homepage"
)

// commentCreate handles "Leave a Reply". Readers have no session, so there
// is no CSRF token; a size limit, a honeypot and moderation of first-time
// commenters stand against abuse instead.
func (s *Server) commentCreate(c echo.Context) error {
	r := c.Request()
	r.Body = http.MaxBytesReader(c.Response(), r.Body, maxCommentBody)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The comment is too long.")
		}
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	a, redirect, err := s.loadPermalink(c)
	if err != nil {
		return err
	}
	if redirect != "" {
		return notFoundf("comment on %s: not the article's permalink", r.URL.Path)
	}
	if r.PostForm.Get(honeypotField) != "" {
		// Answer as if it worked so the bot learns nothing.
		s.Log.Info("comment dropped: honeypot filled", "article", a.ID, "ip", c.RealIP())
		return redirectSeeOther(c, a.Permalink()+"?comment=pending#respond")
	}

	form := commentForm{
		Name:     strings.TrimSpace(r.PostForm.Get("name")),
		Email:    strings.TrimSpace(r.PostForm.Get("email")),
		URL:      strings.TrimSpace(r.PostForm.Get("url")),
		Content:  strings.TrimSpace(r.PostForm.Get("content")),
		Remember: r.PostForm.Get("remember") != "",
	}
	errs := validateComment(&form, r.PostForm.Get("parent_id"))
	ctx := r.Context()
	if form.ParentID != 0 {
		parent, err := s.Store.InteractionByID(ctx, form.ParentID)
		switch {
		case err != nil && !isNotFound(err):
			return err
		case err != nil || parent.ArticleID != a.ID || parent.Kind != models.KindComment || parent.Status != models.StatusApproved:
			errs["parent_id"] = "The comment you are replying to does not exist (any more)."
		}
	}
	if len(errs) > 0 {
		return s.renderArticle(c, a, http.StatusBadRequest, form, errs)
	}

	st, err := s.Store.GetSettings(ctx)
	if err != nil {
		return err
	}
	status := models.StatusApproved
	if st.HoldVisitorComments {
		known, err := s.Store.HasApprovedComment(ctx, 0, form.Email)
		if err != nil {
			return err
		}
		if !known {
			status = models.StatusPending
		}
	}
	in := &models.Interaction{
		ArticleID: a.ID, Kind: models.KindComment, Source: models.SourceWeb, Status: status,
		AuthorName: form.Name, AuthorEmail: form.Email, AuthorURL: form.URL,
		AuthorIP: c.RealIP(), UserAgent: truncateRunes(r.UserAgent(), 500),
		Content:     web.SanitizeRemote(web.Linkify(web.TextToHTML(form.Content))),
		Visibility:  "public",
		PublishedAt: s.Now(),
	}
	if form.ParentID != 0 {
		pid := form.ParentID
		in.ParentID = &pid
	}
	if _, err := s.Store.CreateInteraction(ctx, in); err != nil {
		return err
	}
	s.Log.Info("visitor comment stored", "article", a.ID, "comment", in.ID, "status", status)
	s.rememberCommenter(c, form)
	if status == models.StatusPending {
		s.rememberHeld(c, st, in.ID)
		return redirectSeeOther(c, a.Permalink()+"?comment=pending#respond")
	}
	return redirectSeeOther(c, a.Permalink()+"#comment-"+strconv.FormatUint(uint64(in.ID), 10))
}

// commentLimit bounds visitor comments per client address, so one machine
// cannot fill the moderation queue.
func (s *Server) commentLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return s.rateLimited(next, s.writeLimits.comment,
		s.refusePage("Too many comments", "Too many comments were sent from your network in a short time, so yours was not saved (your browser's Back button returns to it)."))
}

// validateComment checks the visitor's input, normalising form in place,
// and returns messages keyed by field name.
func validateComment(form *commentForm, parentID string) map[string]string {
	errs := map[string]string{}
	switch n := utf8.RuneCountInString(form.Content); {
	case n == 0:
		errs["content"] = "Please type a comment."
	case n > maxCommentRunes:
		errs["content"] = "Please keep your comment under " + strconv.Itoa(maxCommentRunes) + " characters (it has " + strconv.Itoa(n) + ")."
	}
	switch {
	case form.Name == "":
		errs["name"] = "Please give your name."
	case utf8.RuneCountInString(form.Name) > 100:
		errs["name"] = "Please use a shorter name (100 characters at most)."
	}
	form.Email = strings.ToLower(form.Email)
	if form.Email == "" {
		errs["email"] = "Please give your e-mail address. It is not shown publicly."
	} else if addr, err := mail.ParseAddress(form.Email); err != nil || addr.Address != form.Email || len(form.Email) > 200 || !strings.Contains(form.Email[strings.LastIndexByte(form.Email, '@'):], ".") {
		errs["email"] = "Please give a valid e-mail address, like name@example.com."
	}
	if form.URL != "" {
		if _, ok := web.HTTPURL(form.URL); !ok || len(form.URL) > 500 {
			errs["url"] = "The website must be a full address starting with http:// or https://."
		}
	}
	if parentID != "" && parentID != "0" {
		id, err := strconv.ParseUint(parentID, 10, 32)
		if err != nil {
			errs["parent_id"] = "The comment you are replying to does not exist."
		} else {
			form.ParentID = uint(id)
		}
	}
	return errs
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
