package handlers

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"fedpress/federation"
	"fedpress/models"
)

const (
	minPasswordLen = 10
	maxPasswordLen = 72 // bcrypt ignores anything longer
)

var reUsername = regexp.MustCompile(`^[a-z0-9_]{1,30}$`)

// reservedUsername lists names that would be confused with the server's own
// paths and accounts, or impersonate staff in a fediverse handle.
func reservedUsername(u string) bool {
	switch u {
	case "admin", "administrator", "root", "actor", "inbox", "outbox", "users", "user",
		"setup", "static", "media", "tag", "tags", "feed", "feeds", "comments", "articles",
		"activities", "api", "login", "logout", "nodeinfo", "webfinger", "well_known",
		"sitemap", "robots", "xmlrpc", "webmention", "pingback", "interact", "followers",
		"following", "featured", "instance", "relay", "www", "mail", "postmaster",
		"abuse", "security", "support", "help", "system", "fedpress", "healthz", "readyz", "metrics":
		return true
	}
	return false
}

// usernameProblem explains why u cannot be an account name, or returns "".
// blogUsername is the blog actor's handle, which authors cannot take.
func usernameProblem(u, blogUsername string) string {
	switch {
	case u == "":
		return "Choose a username."
	case !reUsername.MatchString(u):
		return "Usernames use 1 to 30 lowercase letters, digits and underscores."
	case reservedUsername(u):
		return fmt.Sprintf("The username %q is reserved; choose another.", u)
	case u == blogUsername:
		return fmt.Sprintf("The username %q is the blog's own fediverse account; choose another.", u)
	}
	return ""
}

// passwordProblem checks a new password and its confirmation.
func passwordProblem(pw, again string) string {
	switch {
	case utf8.RuneCountInString(pw) < minPasswordLen:
		return fmt.Sprintf("Passwords need at least %d characters.", minPasswordLen)
	case len(pw) > maxPasswordLen:
		return fmt.Sprintf("Passwords can have at most %d bytes.", maxPasswordLen)
	case pw != again:
		return "The two passwords differ."
	}
	return ""
}

// setupData is the first-run form.
type setupData struct {
	Token    string
	Name     string
	Username string
	Errors   []string
}

// setupAllowed checks the one-time token. It answers the refusal page
// itself and reports false when setup cannot go on.
func (s *Server) setupAllowed(c echo.Context, token string) (bool, error) {
	ctx := c.Request().Context()
	n, err := s.Store.CountAuthors(ctx)
	if err != nil {
		return false, err
	}
	st, err := s.Store.GetSettings(ctx)
	if err != nil {
		return false, err
	}
	if n > 0 {
		return false, s.adminErrorBack(c, http.StatusNotFound, "This blog is already set up. Log in instead.", loginPath)
	}
	if !tokensEqual(token, st.SetupToken) {
		return false, s.adminError(c, http.StatusForbidden,
			"This setup link is not valid. Use the exact link the server printed when it started (it works once).")
	}
	return true, nil
}

// setupShow shows the first-author form to whoever has the setup link.
func (s *Server) setupShow(c echo.Context) error {
	adminHeaders(c)
	token := c.QueryParam("token")
	if ok, err := s.setupAllowed(c, token); !ok {
		return err
	}
	return s.renderSetup(c, http.StatusOK, setupData{Token: token})
}

func (s *Server) renderSetup(c echo.Context, status int, d setupData) error {
	tok, err := s.preSessionToken(c)
	if err != nil {
		return err
	}
	p, err := s.newPage(c, "Set up your blog", d)
	if err != nil {
		return err
	}
	p.CSRF = tok
	return s.render(c, status, "admin/setup", p)
}

// setupCreate creates the first author, consuming the token in the same
// transaction, then logs them in.
func (s *Server) setupCreate(c echo.Context) error {
	adminHeaders(c)
	if err := s.parseBody(c); err != nil {
		return s.bodyError(c, err)
	}
	if !s.validPreSessionCSRF(c) {
		return s.adminError(c, http.StatusForbidden, "invalid CSRF token: reload the setup page and try again.")
	}
	r := c.Request()
	d := setupData{
		Token:    r.PostFormValue("token"),
		Name:     strings.TrimSpace(r.PostFormValue("name")),
		Username: strings.ToLower(strings.TrimSpace(r.PostFormValue("username"))),
	}
	if ok, err := s.setupAllowed(c, d.Token); !ok {
		return err
	}
	ctx := r.Context()
	st, err := s.Store.GetSettings(ctx)
	if err != nil {
		return err
	}
	if d.Name == "" {
		d.Errors = append(d.Errors, "Enter your name as readers will see it.")
	} else if utf8.RuneCountInString(d.Name) > 200 {
		d.Errors = append(d.Errors, "Names can have at most 200 characters.")
	}
	if p := usernameProblem(d.Username, st.BlogUsername); p != "" {
		d.Errors = append(d.Errors, p)
	}
	pw := r.PostFormValue("password")
	if p := passwordProblem(pw, r.PostFormValue("password2")); p != "" {
		d.Errors = append(d.Errors, p)
	}
	if len(d.Errors) > 0 {
		return s.renderSetup(c, http.StatusUnprocessableEntity, d)
	}
	a, err := newAuthor(d.Username, d.Name, pw)
	if err != nil {
		return err
	}
	ok, err := s.Store.AdminCreateFirstAuthor(ctx, d.Token, a)
	if err != nil {
		return err
	}
	if !ok { // another request used the token meanwhile
		return s.adminErrorBack(c, http.StatusNotFound, "This setup link has just been used. Log in instead.", loginPath)
	}
	s.Log.Info("setup: first author created", "username", a.Username)
	if err := s.startSession(c, a.ID); err != nil {
		return err
	}
	return redirectSeeOther(c, "/admin/")
}

// newAuthor hashes the password and makes the author's actor keys: the slow
// parts, done before any transaction opens.
func newAuthor(username, name, password string) (*models.Author, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	priv, pub, err := federation.GenerateKeyPair()
	if err != nil {
		return nil, fmt.Errorf("author keys: %w", err)
	}
	return &models.Author{Username: username, Name: name, PasswordHash: string(hash), PrivateKeyPEM: priv, PublicKeyPEM: pub}, nil
}

// usernameTaken reports whether an author has username.
func (s *Server) usernameTaken(ctx context.Context, username string) (bool, error) {
	_, err := s.Store.AuthorByUsername(ctx, username)
	if isNotFound(err) {
		return false, nil
	}
	return err == nil, err
}
