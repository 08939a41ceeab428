package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// Visitor cookies, as WordPress sets them after a comment. Pages for a
// visitor carrying either are personal: the page cache neither serves nor
// stores them (see cachePage).
const (
	// heldCookie names the visitor's comments awaiting moderation, so that
	// the article shows them to that visitor only, marked as held. Signed:
	// a forged list would show other people's held comments.
	heldCookie = "fedpress_held"
	// commenterCookie remembers name, e-mail and website for the comment
	// form when the visitor ticks "Save my name…"; the server fills the
	// form (no script: the site's CSP allows none inline).
	commenterCookie = "fedpress_commenter"

	heldCookieTTL      = 24 * time.Hour
	commenterCookieTTL = 365 * 24 * time.Hour
	maxHeldComments    = 10 // the newest ids are kept
)

// hasVisitorCookie reports a request whose pages are personal.
func hasVisitorCookie(r *http.Request) bool {
	for _, name := range []string{heldCookie, commenterCookie} {
		if _, err := r.Cookie(name); err == nil {
			return true
		}
	}
	return false
}

// heldCookieKey derives the signing key from a secret every process of
// the blog shares and keeps across restarts: the instance actor's private
// key, hashed under a label so the key is used for nothing else.
func heldCookieKey(st *models.Settings) []byte {
	sum := sha256.Sum256([]byte("fedpress held-comment cookie\x00" + st.InstancePrivateKeyPEM))
	return sum[:]
}

func heldSignature(key []byte, payload string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// encodeHeld makes the cookie value "12-15.<unix expiry>.<signature>".
func encodeHeld(key []byte, ids []uint, expires time.Time) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatUint(uint64(id), 10)
	}
	payload := strings.Join(parts, "-") + "." + strconv.FormatInt(expires.Unix(), 10)
	return payload + "." + heldSignature(key, payload)
}

// decodeHeld returns the ids of a well-signed, unexpired cookie value, nil
// otherwise.
func decodeHeld(key []byte, v string, now time.Time) []uint {
	i := strings.LastIndexByte(v, '.')
	if i < 0 {
		return nil
	}
	payload, sig := v[:i], v[i+1:]
	if !hmac.Equal([]byte(sig), []byte(heldSignature(key, payload))) {
		return nil
	}
	idList, exp, ok := strings.Cut(payload, ".")
	if !ok {
		return nil
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !now.Before(time.Unix(unix, 0)) {
		return nil
	}
	var ids []uint
	for _, p := range strings.Split(idList, "-") {
		id, err := strconv.ParseUint(p, 10, 32)
		if err != nil || id == 0 {
			return nil
		}
		ids = append(ids, uint(id))
	}
	return ids
}

// rememberHeld adds comment id to the visitor's held-comment cookie.
func (s *Server) rememberHeld(c echo.Context, st *models.Settings, id uint) {
	key := heldCookieKey(st)
	now := s.Now()
	var ids []uint
	if ck, err := c.Cookie(heldCookie); err == nil {
		ids = decodeHeld(key, ck.Value, now)
	}
	ids = append(ids, id)
	if len(ids) > maxHeldComments {
		ids = ids[len(ids)-maxHeldComments:]
	}
	exp := now.Add(heldCookieTTL)
	c.SetCookie(s.cookie(heldCookie, encodeHeld(key, ids, exp), exp))
}

// heldComments loads the visitor's comments on article a that still await
// moderation; approved, refused or others' ones are not shown this way.
func (s *Server) heldComments(ctx context.Context, r *http.Request, a *models.Article) ([]models.Interaction, error) {
	ck, err := r.Cookie(heldCookie)
	if err != nil {
		return nil, nil
	}
	st, err := s.Store.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	var out []models.Interaction
	for _, id := range decodeHeld(heldCookieKey(st), ck.Value, s.Now()) {
		in, err := s.Store.InteractionByID(ctx, id)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if in.ArticleID == a.ID && in.Kind == models.KindComment && in.Status == models.StatusPending {
			out = append(out, *in)
		}
	}
	return out, nil
}

// savedCommenter is what commenterCookie holds.
type savedCommenter struct {
	Name  string `json:"n"`
	Email string `json:"e"`
	URL   string `json:"u,omitempty"`
}

// rememberCommenter sets or, when the visitor did not tick the box,
// clears the remembered name, e-mail and website.
func (s *Server) rememberCommenter(c echo.Context, form commentForm) {
	if !form.Remember {
		if _, err := c.Cookie(commenterCookie); err == nil {
			c.SetCookie(s.cookie(commenterCookie, "", s.Now().Add(-time.Hour)))
		}
		return
	}
	b, err := json.Marshal(savedCommenter{Name: form.Name, Email: form.Email, URL: form.URL})
	if err != nil {
		return // cannot happen with strings
	}
	c.SetCookie(s.cookie(commenterCookie, base64.RawURLEncoding.EncodeToString(b), s.Now().Add(commenterCookieTTL)))
}

// fillRemembered prefills an empty comment form from commenterCookie and
// reports whether it did. A cookie that does not decode is ignored.
func fillRemembered(r *http.Request, form *commentForm) bool {
	ck, err := r.Cookie(commenterCookie)
	if err != nil || form.Name != "" || form.Email != "" || form.URL != "" {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return false
	}
	var sc savedCommenter
	if err := json.Unmarshal(raw, &sc); err != nil {
		return false
	}
	form.Name, form.Email, form.URL = truncateRunes(sc.Name, 100), truncateRunes(sc.Email, 200), truncateRunes(sc.URL, 500)
	form.Remember = true
	return true
}
