package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"fedpress/models"
	"fedpress/web"
)

// blockCreate adds an actor, domain or keyword block. Adding it hides what
// it covers (models.CreateBlock); activities it covers are dropped from now on.
func (s *Server) blockCreate(c echo.Context) error {
	if ok, err := s.requireBlogManager(c, "manage blocks"); !ok {
		return err
	}
	ctx := c.Request().Context()
	kind := c.Request().PostFormValue("kind")
	raw := c.Request().PostFormValue("value")
	value, problem := normalizeBlock(kind, raw)
	if problem != "" {
		return s.renderBlocks(c, http.StatusUnprocessableEntity, blocksData{Error: problem, Kind: kind, Value: raw})
	}
	existing, err := s.Store.ListBlocks(ctx)
	if err != nil {
		return err
	}
	for _, b := range existing {
		if b.Kind == kind && b.Value == value {
			return redirectSeeOther(c, "/admin/blocks/?done=exists")
		}
	}
	b, hidden, err := s.Store.CreateBlock(ctx, kind, value)
	if err != nil {
		return err
	}
	by := ""
	if u := currentUser(c); u != nil {
		by = u.Username
	}
	s.Log.Info("block added", "block", b.ID, "kind", kind, "value", value, "hidden", hidden, "by", by)
	back := localPath(c.Request().PostFormValue("return_to"), "/admin/blocks/")
	if back == "/admin/blocks/" {
		back += "?done=added"
	}
	return redirectSeeOther(c, back)
}

// normalizeBlock checks a block's value and puts it in the form matching
// uses: actor URLs as given, domains as a lower-case host name (a pasted URL,
// "@host" or "*.host" is reduced to it), keywords trimmed.
func normalizeBlock(kind, raw string) (string, string) {
	v := strings.TrimSpace(raw)
	switch kind {
	case models.BlockActor:
		u, ok := web.HTTPURL(v)
		if !ok || len(u) > 500 {
			return "", "Enter the account's ActivityPub id, an http(s) URL such as https://example.social/users/name."
		}
		return u, ""
	case models.BlockDomain:
		if strings.Contains(v, "://") {
			if u, err := url.Parse(v); err == nil {
				v = u.Hostname()
			}
		}
		v = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(v, "@"), "*."), "."))
		if v == "" || len(v) > 253 || strings.ContainsFunc(v, func(r rune) bool {
			return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_')
		}) {
			return "", "Enter a domain name such as example.social."
		}
		return v, ""
	case models.BlockKeyword:
		if len([]rune(v)) < 2 || len(v) > 200 {
			return "", "Enter a word or phrase of 2 to 200 characters."
		}
		return v, ""
	}
	return "", "Choose what to block: an account, a domain or a keyword."
}
