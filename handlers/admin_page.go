package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// Page.Meta keys read by the admin layout. The layout cannot read fields of
// Data (every admin page, including those written by other parts of the
// code, has its own Data type), while a missing map key is simply empty.
const (
	metaAdminSection = "admin:section" // nav item to highlight
	metaAdminPending = "admin:pending" // comments awaiting moderation, "" for none
)

// moderatedKinds are the interactions listed in comment moderation: what a
// reader writes. Likes and boosts need no moderation.
func moderatedKinds() []string {
	return []string{models.KindComment, models.KindPingback, models.KindTrackback, models.KindWebmention, models.KindQuote}
}

// adminHeaders keeps admin pages out of caches and other sites' referrers
// (frames and scripts are kept out by securityHeaders, for every page).
// Every admin response, logged in or not, sets them.
func adminHeaders(c echo.Context) {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Robots-Tag", "noindex, nofollow")
}

// renderAdmin renders templates/admin/<page>.html inside the admin layout.
// section is the nav item to highlight; other admin pages may call it too.
func (s *Server) renderAdmin(c echo.Context, status int, page, title, section string, data any) error {
	adminHeaders(c)
	p, err := s.newPage(c, title, data)
	if err != nil {
		return err
	}
	p.Meta[metaAdminSection] = section
	if p.User != nil {
		counts, err := s.Store.AdminModerationCounts(c.Request().Context(), moderatedKinds(), workScope(p.User))
		if err != nil {
			return err
		}
		if n := counts[models.StatusPending]; n > 0 {
			p.Meta[metaAdminPending] = strconv.FormatInt(n, 10)
		}
	}
	p.Flash = flashText(c.QueryParam("msg"))
	return s.render(c, status, "admin/"+page, p)
}

// adminMessage is the data of the admin error page.
type adminMessage struct {
	Status  int
	Heading string
	Message string
	Back    string // link to go back to, if any
}

// adminError answers with the admin error page. If even that fails (no
// database), a plain-text answer still tells the author what happened.
func (s *Server) adminError(c echo.Context, status int, message string) error {
	return s.adminErrorBack(c, status, message, "")
}

func (s *Server) adminErrorBack(c echo.Context, status int, message, back string) error {
	heading, explanation := statusWords(status)
	if message == "" {
		message = explanation
	}
	data := adminMessage{Status: status, Heading: heading, Message: message, Back: back}
	if err := s.renderAdmin(c, status, "error", heading, "", data); err != nil {
		s.Log.Error("render admin error page", "status", status, "err", err)
		return c.String(status, message+"\n")
	}
	return nil
}

// flashText maps ?msg= codes to fixed messages: the query string never puts
// its own text on the page.
func flashText(code string) string {
	switch code {
	case "draft":
		return "Draft saved."
	case "published":
		return "Article published."
	case "updated":
		return "Article updated."
	case "scheduled":
		return "Article scheduled."
	case "restored":
		return "Revision restored. The version it replaced is kept in the revisions."
	case "deleted":
		return "Article deleted."
	case "uploaded":
		return "Image uploaded."
	case "moderated":
		return "Comment updated."
	case "replied":
		return "Reply published."
	case "reply_edited":
		return "Reply updated."
	case "answered":
		return "Answer sent privately."
	case "settings":
		return "Settings saved."
	case "menu":
		return "Menu saved."
	case "profile":
		return "Profile saved."
	case "password":
		return "Password changed. Other browsers were logged out."
	case "logged_out":
		return "You are now logged out."
	}
	return ""
}

// withMsg adds ?msg=code (or &msg=) to a local path.
func withMsg(path, code string) string {
	return withQuery(path, "msg", code)
}

func withQuery(path, key, value string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + key + "=" + url.QueryEscape(value)
}

// localPath returns p when it is a path on this site ("/x", not "//host",
// "/\host" or anything with a scheme), else fallback. Redirecting to what a
// form or query says would otherwise be an open redirect.
func localPath(p, fallback string) string {
	if p == "" || p[0] != '/' || len(p) > 2000 {
		return fallback
	}
	if len(p) > 1 && (p[1] == '/' || p[1] == '\\') {
		return fallback
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fallback
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return fallback
	}
	return p
}

// idParam parses the :id route parameter.
func idParam(c echo.Context) (uint, error) {
	n, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("id %q: %w", c.Param("id"), models.ErrNotFound)
	}
	return uint(n), nil
}

// bodyTooLarge reports an http.MaxBytesReader refusal.
func bodyTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// sizeLabel is a byte count for people: "820 KB", "1.5 MB".
func sizeLabel(n int64) string {
	switch {
	case n >= 1<<20:
		v := float64(n) / (1 << 20)
		if n%(1<<20) == 0 {
			return fmt.Sprintf("%d MB", n>>20)
		}
		return fmt.Sprintf("%.1f MB", v)
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", (n+512)>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
