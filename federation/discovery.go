package federation

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"fedpress/models"
)

// Discovery documents: WebFinger (how @user@host becomes an actor URL),
// host-meta (older clients' way to find WebFinger) and NodeInfo (what
// software runs here, for instance lists).

// ErrBadResource is a WebFinger resource that is not a valid query (400).
var ErrBadResource = errors.New("bad webfinger resource")

// JRD is a WebFinger answer (RFC 7033).
type JRD struct {
	Subject string    `json:"subject"`
	Aliases []string  `json:"aliases,omitempty"`
	Links   []JRDLink `json:"links"`
}

// JRDLink is one link of a JRD.
type JRDLink struct {
	Rel      string `json:"rel"`
	Type     string `json:"type,omitempty"`
	Href     string `json:"href,omitempty"`
	Template string `json:"template,omitempty"`
}

// Link relations used in JRDs.
const (
	relSelf        = "self"
	relProfilePage = "http://webfinger.net/rel/profile-page"
	relAvatar      = "http://webfinger.net/rel/avatar"
	relSubscribe   = "http://ostatus.org/schema/1.0/subscribe"
)

// WebFinger answers a resource: acct:user@host (also "@user@host" and
// "user@host"), or one of our actor or profile URLs. Local actors are the
// authors, the blog actor and the instance actor (URLs.InstanceUsername).
// Unknown accounts and other hosts are models.ErrNotFound; unparseable
// resources ErrBadResource.
func (s *Service) WebFinger(ctx context.Context, resource string) (*JRD, error) {
	u := s.cfg.URLs
	username, err := s.webfingerUsername(resource)
	if err != nil {
		return nil, err
	}
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	host := u.Host()
	// The instance actor answers to its username and, as it did before
	// that had to lose its port, to acct:host:port@host:port.
	if strings.EqualFold(username, u.InstanceUsername()) || strings.EqualFold(username, host) || strings.EqualFold(username, models.HostWithoutPort(host)) {
		return &JRD{
			Subject: "acct:" + u.InstanceUsername() + "@" + host,
			Aliases: []string{u.InstanceActor()},
			Links: []JRDLink{
				{Rel: relSelf, Type: AS2ContentType, Href: u.InstanceActor()},
				{Rel: relProfilePage, Type: "text/html", Href: u.Abs("/")},
			},
		}, nil
	}
	name, err := s.localActorName(ctx, st, username)
	if err != nil {
		return nil, err
	}
	j := &JRD{
		Subject: "acct:" + name + "@" + host,
		Aliases: []string{u.Profile(name), u.Actor(name)},
		Links: []JRDLink{
			{Rel: relProfilePage, Type: "text/html", Href: u.Profile(name)},
			{Rel: relSelf, Type: AS2ContentType, Href: u.Actor(name)},
			{Rel: relSubscribe, Template: u.Abs("/authorize_interaction?uri={uri}")},
		},
	}
	if !IsBlogActor(st, name) {
		if a, err := s.store.AuthorByUsername(ctx, name); err == nil && a.AvatarPath != "" {
			j.Links = append(j.Links, JRDLink{Rel: relAvatar, Href: s.mediaURL(a.AvatarPath)})
		}
	}
	return j, nil
}

// webfingerUsername extracts the local username a resource asks about.
func (s *Service) webfingerUsername(resource string) (string, error) {
	u := s.cfg.URLs
	r := strings.TrimSpace(resource)
	if r == "" {
		return "", fmt.Errorf("%w: empty", ErrBadResource)
	}
	notOurs := func() error {
		return fmt.Errorf("resource %q is not on %s: %w", resource, u.Host(), models.ErrNotFound)
	}
	lower := strings.ToLower(r)
	if strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://") {
		p, err := url.Parse(r)
		if err != nil || p.Host == "" {
			return "", fmt.Errorf("%w: %q", ErrBadResource, resource)
		}
		if !strings.EqualFold(p.Host, u.Host()) {
			return "", notOurs()
		}
		path := strings.TrimSuffix(p.Path, "/")
		switch {
		case path == "/actor":
			return u.InstanceUsername(), nil
		case strings.HasPrefix(path, "/users/") && !strings.Contains(path[len("/users/"):], "/"):
			return path[len("/users/"):], nil
		case strings.HasPrefix(path, "/@") && !strings.Contains(path[2:], "/"):
			return path[2:], nil
		}
		return "", notOurs()
	}
	acct := strings.TrimPrefix(strings.TrimPrefix(r, "acct:"), "@")
	at := strings.LastIndexByte(acct, '@')
	if at <= 0 || at == len(acct)-1 {
		return "", fmt.Errorf("%w: %q", ErrBadResource, resource)
	}
	user, host := acct[:at], acct[at+1:]
	if !strings.EqualFold(host, u.Host()) {
		return "", notOurs()
	}
	return user, nil
}

// HostMetaXML is /.well-known/host-meta: where WebFinger lives.
func (s *Service) HostMetaXML() string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">` + "\n" +
		`  <Link rel="lrdd" template="` + xmlEscape(s.webfingerTemplate()) + `"/>` + "\n" +
		`</XRD>` + "\n"
}

// HostMetaJSON is /.well-known/host-meta.json.
func (s *Service) HostMetaJSON() Doc {
	return Doc{"links": []any{Doc{"rel": "lrdd", "template": s.webfingerTemplate()}}}
}

func (s *Service) webfingerTemplate() string {
	return s.cfg.URLs.Abs("/.well-known/webfinger?resource={uri}")
}

func xmlEscape(v string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(v)
}

// NodeInfo schema versions served.
var nodeInfoVersions = [...]string{"2.0", "2.1"}

// NodeInfoLinks is /.well-known/nodeinfo.
func (s *Service) NodeInfoLinks() Doc {
	var links []any
	for _, v := range nodeInfoVersions {
		links = append(links, Doc{"rel": "http://nodeinfo.diaspora.software/ns/schema/" + v, "href": s.cfg.URLs.Abs("/nodeinfo/" + v)})
	}
	return Doc{"links": links}
}

// NodeInfoProfile is the Content-Type profile of a NodeInfo version.
func NodeInfoProfile(v string) string {
	return `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/` + v + `#"`
}

// NodeInfo is /nodeinfo/2.0 or /nodeinfo/2.1 (models.ErrNotFound for other
// versions). Users are the authors; active ones published in the period.
func (s *Service) NodeInfo(ctx context.Context, ver, softwareVersion string) (Doc, error) {
	if ver != "2.0" && ver != "2.1" {
		return nil, fmt.Errorf("nodeinfo %q: %w", ver, models.ErrNotFound)
	}
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	total, err := s.store.CountAuthors(ctx)
	if err != nil {
		return nil, err
	}
	month, err := s.store.CountActiveAuthors(ctx, now, now.Add(-30*24*time.Hour))
	if err != nil {
		return nil, err
	}
	halfYear, err := s.store.CountActiveAuthors(ctx, now, now.Add(-180*24*time.Hour))
	if err != nil {
		return nil, err
	}
	posts, err := s.store.CountVisible(ctx, now)
	if err != nil {
		return nil, err
	}
	if softwareVersion == "" {
		softwareVersion = "dev"
	}
	software := Doc{"name": "fedpress", "version": softwareVersion}
	if ver == "2.1" {
		software["homepage"] = s.cfg.URLs.Abs("/")
	}
	return Doc{
		"version":           ver,
		"software":          software,
		"protocols":         []any{"activitypub"},
		"services":          Doc{"inbound": []any{}, "outbound": []any{"atom1.0", "rss2.0"}},
		"openRegistrations": false,
		"usage": Doc{
			"users":      Doc{"total": total, "activeMonth": month, "activeHalfyear": halfYear},
			"localPosts": posts,
		},
		"metadata": Doc{"nodeName": st.Title, "nodeDescription": st.Tagline},
	}, nil
}
