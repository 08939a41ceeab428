package handlers

import (
	"encoding/json"
	"html/template"
	"strings"

	"github.com/labstack/echo/v4"

	"fedpress/federation"
	"fedpress/models"
	"fedpress/web"
)

// profileView is an author's (or the blog actor's) public profile.
type profileView struct {
	Name     string
	Username string
	Handle   string // @alice@host, to paste into a fediverse search
	ActorID  string // for "Follow from your own instance"
	Avatar   string
	Header   string
	Bio      template.HTML
	Fields   []profileField
	IsBlog   bool
	List     *listView
}

type profileField struct {
	Name, Value, URL string
}

// profileShow is /@username/: an author's bio and articles, or for the blog
// actor's username the whole blog. AS2 clients get the actor.
func (s *Server) profileShow(c echo.Context) error {
	c.Response().Header().Add("Vary", "Accept")
	ctx := c.Request().Context()
	username := strings.ToLower(c.Param("username"))
	st, err := s.Store.GetSettings(ctx)
	if err != nil {
		return err
	}
	v := &profileView{Username: username, Handle: "@" + username + "@" + s.Cfg.URLs.Host(), ActorID: s.Cfg.URLs.Actor(username)}
	q := models.ArticleQuery{}
	var author *models.Author
	if username == st.BlogUsername && username != "" {
		v.IsBlog = true
		v.Name = st.BlogName
		if v.Name == "" {
			v.Name = st.Title
		}
		// The blog summary is plain text typed in the settings.
		v.Bio = template.HTML(web.TextToHTML(st.BlogSummary)) //nolint:gosec // escaped by TextToHTML
		v.Avatar, v.Header = mediaURL(federation.BlogAvatar(st)), mediaURL(st.BlogHeaderPath)
	} else {
		a, err := s.Store.AuthorByUsername(ctx, username)
		if err != nil {
			return err
		}
		author = a
		q.AuthorID = a.ID
		v.Name = a.Name
		v.Avatar, v.Header = mediaURL(a.AvatarPath), mediaURL(a.HeaderPath)
		v.Bio = template.HTML(a.BioHTML) //nolint:gosec // sanitized when the author saved it
		v.Fields = profileFields(a.Fields)
	}
	if wantsAS2(c) {
		return s.profileAS2(c, username)
	}
	if q.Page, err = pageParam(c); err != nil {
		return err
	}
	if v.List, err = s.loadList(c, q, profilePath(username)); err != nil {
		return err
	}
	p, err := s.newPage(c, v.Name+" ("+v.Handle+")", v)
	if err != nil {
		return err
	}
	p.AlternateAS2 = s.Cfg.URLs.Actor(username)
	if !v.IsBlog {
		p.Feeds = []FeedLink{{Title: "Articles by " + v.Name, Href: authorFeedPath(username)}}
		p.Me = fieldURLs(author.Fields)
	}
	p.Description = web.Excerpt(string(v.Bio), 40)
	if p.Description == "" {
		p.Description = "Articles by " + v.Name + ". Follow " + v.Handle + " from the fediverse."
	}
	p.Meta["og:type"] = "profile"
	p.Meta["og:title"] = v.Name
	p.Meta["og:url"] = p.Canonical
	p.Meta["og:description"] = p.Description
	p.Meta["profile:username"] = username
	p.Meta["twitter:card"] = "summary"
	if v.Avatar != "" {
		p.Meta["og:image"] = s.absURL(v.Avatar)
	}
	return s.render(c, 200, "site/profile", p)
}

// profileFields decodes the author's profile fields; values that are
// http(s) URLs become rel=me links (fediverse link verification).
func profileFields(raw string) []profileField {
	if raw == "" {
		return nil
	}
	var list []struct{ Name, Value string }
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil
	}
	var out []profileField
	for _, f := range list {
		f.Name, f.Value = strings.TrimSpace(f.Name), strings.TrimSpace(web.PlainText(f.Value))
		if f.Name == "" && f.Value == "" {
			continue
		}
		pf := profileField{Name: f.Name, Value: f.Value}
		if u, ok := web.HTTPURL(f.Value); ok {
			pf.URL = u
		}
		out = append(out, pf)
	}
	return out
}
