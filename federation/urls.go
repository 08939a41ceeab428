package federation

import (
	"fmt"
	"net/url"
	"strings"

	"fedpress/models"
)

// URLs builds every absolute URL the server publishes. Ids are stable: they
// use numeric ids, never slugs or dates that an author may edit.
type URLs struct{ Base *url.URL }

// NewURLs parses the public base URL (scheme and host, optional path prefix
// is not supported: ActivityPub ids must not move).
func NewURLs(base string) (URLs, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil {
		return URLs{}, fmt.Errorf("parse base URL %q: %w", base, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return URLs{}, fmt.Errorf("base URL %q: want http(s)://host[:port]", base)
	}
	u.Path, u.RawQuery, u.Fragment = "", "", ""
	return URLs{Base: u}, nil
}

// Host is host[:port], the part after @ in handles.
func (u URLs) Host() string { return u.Base.Host }

// instanceFallbackName is the instance actor's username on hosts that are
// no valid username themselves (IPv6 literals). It has a dot, which author
// and blog usernames cannot have, so it names nobody else.
const instanceFallbackName = "instance.actor"

// InstanceUsername is the instance actor's preferredUsername: the host
// without its port, as before for hosts without one; GoToSocial refuses a
// username with ':' in it, so host:port cannot be one.
func (u URLs) InstanceUsername() string {
	if h := models.HostWithoutPort(u.Host()); models.ValidActorName(h) {
		return h
	}
	return instanceFallbackName
}

// Abs makes an absolute URL from a path.
func (u URLs) Abs(path string) string { return u.Base.String() + path }

func (u URLs) Actor(username string) string     { return u.Abs("/users/" + username) }
func (u URLs) ActorKey(username string) string  { return u.Actor(username) + "#main-key" }
func (u URLs) Inbox(username string) string     { return u.Actor(username) + "/inbox" }
func (u URLs) Outbox(username string) string    { return u.Actor(username) + "/outbox" }
func (u URLs) Followers(username string) string { return u.Actor(username) + "/followers" }
func (u URLs) Following(username string) string { return u.Actor(username) + "/following" }
func (u URLs) Featured(username string) string  { return u.Actor(username) + "/featured" }
func (u URLs) Profile(username string) string   { return u.Abs("/@" + username) }
func (u URLs) SharedInbox() string              { return u.Abs("/inbox") }
func (u URLs) InstanceActor() string            { return u.Abs("/actor") }
func (u URLs) InstanceKey() string              { return u.InstanceActor() + "#main-key" }
func (u URLs) Article(id uint) string           { return u.Abs(fmt.Sprintf("/articles/%d", id)) }
func (u URLs) Comment(id uint) string           { return u.Abs(fmt.Sprintf("/comments/%d", id)) }
func (u URLs) Activity(kind string, id uint, version int64) string {
	return u.Abs(fmt.Sprintf("/activities/%s/%d/%d", strings.ToLower(kind), id, version))
}
func (u URLs) Tag(slug string) string   { return u.Abs("/tag/" + url.PathEscape(slug) + "/") }
func (u URLs) Media(name string) string { return u.Abs("/media/" + name) }
