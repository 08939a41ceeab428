package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"fedpress/models"
)

// Remote interaction: a reader of the blog replies, likes or follows from
// their own fediverse account. We look their handle up with WebFinger and
// send them to their server's interaction page for our object.

// WebFinger link relations that carry an interaction URL template.
const (
	relOStatusSubscribe = "http://ostatus.org/schema/1.0/subscribe" // Mastodon & co: {uri}
	relIntentCreate     = "https://w3id.org/fep/3b86/Create"        // FEP-3b86: {inReplyTo}, {content}…
	relIntentObject     = "https://w3id.org/fep/3b86/Object"        // FEP-3b86: {object}
	relIntentFollow     = "https://w3id.org/fep/3b86/Follow"        // FEP-3b86: {object}

	webfingerTimeout = 10 * time.Second
	webfingerMax     = 256 << 10
)

// reTemplateVar matches RFC 6570 level-1 variables such as {uri}.
var reTemplateVar = regexp.MustCompile(`\{([A-Za-z0-9_.-]+)\}`)

// ErrNotLocal is a URI that is not one of this blog's.
var ErrNotLocal = errors.New("not an object of this blog")

// InteractError is a remote-interaction failure; Msg is for the visitor.
type InteractError struct {
	Msg string
	Err error // the cause, for the log
}

func (e *InteractError) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *InteractError) Unwrap() error { return e.Err }

// ParseHandle splits a fediverse handle, "@user@host", "user@host" or
// "acct:user@host", into its parts. The host may carry a port.
func ParseHandle(h string) (user, host string, err error) {
	h = strings.TrimSpace(h)
	h = strings.TrimPrefix(strings.TrimPrefix(h, "acct:"), "@")
	i := strings.LastIndexByte(h, '@')
	if i <= 0 || i == len(h)-1 {
		return "", "", fmt.Errorf("handle %q: want @user@host", h)
	}
	user, host = h[:i], strings.ToLower(h[i+1:])
	if strings.ContainsAny(user, "/?#@ \t") || len(user) > 200 {
		return "", "", fmt.Errorf("handle %q: bad user name", h)
	}
	u, err := url.Parse("https://" + host + "/")
	if err != nil || u.Host != host || u.Hostname() == "" || strings.ContainsAny(host, "/?#@") {
		return "", "", fmt.Errorf("handle %q: bad host", h)
	}
	return user, host, nil
}

// RemoteInteractURL returns where the owner of handle can act on uri from
// their own server: follow it (follow=true, uri is an actor) or reply to
// it. It prefers FEP-3b86 intents (Follow, or Create with {inReplyTo}),
// then the FEP-3b86 Object intent, then the OStatus subscribe template.
// Errors are *InteractError.
func (s *Service) RemoteInteractURL(ctx context.Context, handle, uri string, follow bool) (string, error) {
	user, host, err := ParseHandle(handle)
	if err != nil {
		return "", &InteractError{Msg: fmt.Sprintf("“%s” is not a fediverse handle: it looks like @you@your.server.", clipRunes(strings.TrimSpace(handle), 100)), Err: err}
	}
	display := "@" + user + "@" + host
	links, err := s.webfingerLinks(ctx, user, host)
	if err != nil {
		return "", &InteractError{Msg: fmt.Sprintf("Could not find %s: their server did not answer the lookup.", display), Err: err}
	}
	rels := []string{relIntentCreate, relIntentObject, relOStatusSubscribe}
	if follow {
		rels = []string{relIntentFollow, relIntentObject, relOStatusSubscribe}
	}
	for _, rel := range rels {
		tmpl, ok := links[rel]
		if !ok || (rel == relIntentCreate && !strings.Contains(tmpl, "{inReplyTo}")) {
			continue // Create without {inReplyTo} is a share box, not a reply
		}
		if out, ok := fillInteractTemplate(tmpl, uri); ok {
			return out, nil
		}
	}
	return "", &InteractError{Msg: fmt.Sprintf("The server of %s does not say how to interact with posts from elsewhere. Paste the address of this page into its search instead.", display)}
}

// fillInteractTemplate fills {uri}, {object} and {inReplyTo} with the
// escaped uri and empties other variables; the result must be http(s).
func fillInteractTemplate(tmpl, uri string) (string, bool) {
	out := reTemplateVar.ReplaceAllStringFunc(tmpl, func(m string) string {
		switch m[1 : len(m)-1] {
		case "uri", "object", "inReplyTo":
			return url.QueryEscape(uri)
		}
		return ""
	})
	return cleanHTTPURL(out)
}

// webfingerLinks looks up acct:user@host and returns its links' templates
// (or hrefs) by rel. https only, unless private peers are allowed (local
// test federations), where plain http is tried when https fails.
func (s *Service) webfingerLinks(ctx context.Context, user, host string) (map[string]string, error) {
	f := &Fetcher{Policy: FetchPolicy{
		AllowPrivate: s.cfg.AllowPrivatePeers, Timeout: webfingerTimeout,
		MaxBytes: webfingerMax, UserAgent: s.mentionUserAgent(),
	}}
	q := "/.well-known/webfinger?resource=" + url.QueryEscape("acct:"+user+"@"+host)
	_, body, err := f.Get(ctx, "https://"+host+q, "application/jrd+json, application/json")
	if err != nil && s.cfg.AllowPrivatePeers {
		var fe *FetchError
		if !errors.As(err, &fe) {
			_, body, err = f.Get(ctx, "http://"+host+q, "application/jrd+json, application/json")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("webfinger acct:%s@%s: %w", user, host, err)
	}
	out, err := parseJRDLinks(body)
	if err != nil {
		return nil, fmt.Errorf("webfinger acct:%s@%s: %w", user, host, err)
	}
	return out, nil
}

// parseJRDLinks reads a WebFinger answer into rel → href or template (the
// first of each rel wins).
func parseJRDLinks(body []byte) (map[string]string, error) {
	var doc JRD
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, l := range doc.Links {
		t := l.Template
		if t == "" {
			t = l.Href // some FEP-3b86 servers put the template in href
		}
		if _, dup := out[l.Rel]; t != "" && !dup {
			out[l.Rel] = t
		}
	}
	return out, nil
}

// Kinds of LocalObject.
const (
	LocalArticle = "article"
	LocalComment = "comment"
	LocalActor   = "actor"
	LocalPage    = "page" // any other page of ours
)

// LocalObject is one of our URIs and the HTML page that shows it.
type LocalObject struct {
	Kind string
	Page string // root-relative path of the HTML page
	ID   string // ActivityPub id for articles, comments and actors
}

// LocalObjectPage resolves uri when it is one of ours: an article (AP id or
// permalink), a comment, an actor (AP id, profile or acct:), or another
// page on our host. ErrNotLocal when it is not ours; models.ErrNotFound
// when it is ours but names nothing visible.
func (s *Service) LocalObjectPage(ctx context.Context, uri string) (*LocalObject, error) {
	uri = strings.TrimSpace(uri)
	if strings.HasPrefix(uri, "acct:") || (strings.Count(uri, "@") >= 1 && !strings.Contains(uri, "/")) {
		user, host, err := ParseHandle(uri)
		if err != nil || host != strings.ToLower(s.cfg.URLs.Host()) {
			return nil, ErrNotLocal
		}
		return s.localActor(ctx, user)
	}
	u, err := url.Parse(uri)
	if err != nil || !s.isOurHost(u) {
		return nil, ErrNotLocal
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	switch {
	case len(segs) == 2 && segs[0] == "comments":
		id, err := strconv.ParseUint(segs[1], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("comment %q: %w", segs[1], models.ErrNotFound)
		}
		in, err := s.store.InteractionByID(ctx, uint(id))
		if err != nil {
			return nil, err
		}
		if in.Kind != models.KindComment || in.Status != models.StatusApproved {
			return nil, fmt.Errorf("comment %d not shown: %w", id, models.ErrNotFound)
		}
		a, err := s.store.ArticleByID(ctx, in.ArticleID)
		if err != nil {
			return nil, err
		}
		if !a.IsVisible(s.now()) {
			return nil, fmt.Errorf("article %d not visible: %w", a.ID, models.ErrNotFound)
		}
		return &LocalObject{Kind: LocalComment, Page: a.Permalink() + "#comment-" + segs[1], ID: s.cfg.URLs.Comment(uint(id))}, nil
	case len(segs) == 2 && segs[0] == "users":
		return s.localActor(ctx, segs[1])
	case len(segs) == 1 && strings.HasPrefix(segs[0], "@") && len(segs[0]) > 1:
		return s.localActor(ctx, segs[0][1:])
	}
	a, err := s.articleAtPath(ctx, u)
	switch {
	case errors.Is(err, errNotAnArticlePath):
		// "//host/x" as a Location is another site: collapse the leading
		// slashes so the page stays ours (an open redirect otherwise).
		page := "/" + strings.TrimLeft(u.EscapedPath(), "/")
		if segs[0] == "actor" {
			page = "/"
		}
		if u.RawQuery != "" && page != "/" {
			page += "?" + u.RawQuery
		}
		return &LocalObject{Kind: LocalPage, Page: page}, nil
	case err != nil:
		return nil, err
	case !a.IsVisible(s.now()):
		return nil, fmt.Errorf("article %d not visible: %w", a.ID, models.ErrNotFound)
	}
	return &LocalObject{Kind: LocalArticle, Page: a.Permalink(), ID: s.cfg.URLs.Article(a.ID)}, nil
}

// localActor is an author or the blog actor by username.
func (s *Service) localActor(ctx context.Context, username string) (*LocalObject, error) {
	if a, err := s.store.AuthorByUsername(ctx, username); err == nil {
		return &LocalObject{Kind: LocalActor, Page: "/@" + url.PathEscape(a.Username) + "/", ID: s.cfg.URLs.Actor(a.Username)}, nil
	} else if !errors.Is(err, models.ErrNotFound) {
		return nil, err
	}
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	blog := st.BlogUsername
	if blog == "" {
		blog = models.DefaultBlogUsername
	}
	if strings.EqualFold(username, blog) {
		return &LocalObject{Kind: LocalActor, Page: "/@" + url.PathEscape(blog) + "/", ID: s.cfg.URLs.Actor(blog)}, nil
	}
	return nil, fmt.Errorf("local actor %q: %w", username, models.ErrNotFound)
}
