package federation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Incoming ActivityStreams are read from the raw JSON into small structs.
// go-fed's streams.ToType is not used here: it refuses documents without
// @context (embedded collection items often lack it) and unknown types, and
// the fields that matter most (Hashtag and Mention tags, Emoji, sensitive,
// endpoints, quote properties, contentMap beside content) are unreadable
// through it anyway, so every field would need the raw map regardless.

// asPublic is the public collection in its three spellings.
var asPublicForms = [...]string{"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"}

func isPublicCollection(s string) bool {
	for _, p := range asPublicForms {
		if s == p {
			return true
		}
	}
	return false
}

// inActivity is an incoming activity.
type inActivity struct {
	ID, Type, Actor string
	Object          any // string, object or array, as sent
	Target          any
	To, Cc          []string
	raw             map[string]any
}

// objectID is the id of the activity's object (string or embedded).
func (a *inActivity) objectID() string { return idOf(a.Object) }

// objectMap is the embedded object, or nil when only its id was sent.
func (a *inActivity) objectMap() map[string]any { return asMap(first(a.Object)) }

// errNotAnObject is a body that is valid JSON but not a JSON object.
var errNotAnObject = errors.New("body is not a JSON object")

// decodeJSONObject parses a JSON object, refusing trailing data.
func decodeJSONObject(body []byte) (map[string]any, error) {
	// encoding/json silently replaces bad bytes, but the raw body is what
	// gets stored: refuse it, as PostgreSQL would.
	if !utf8.Valid(body) {
		return nil, errors.New("invalid JSON: body is not UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if len(bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n")) > 0 { // not dec.More(): it is false before a stray '}' or ']'
		return nil, errors.New("invalid JSON: trailing data after the object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errNotAnObject
	}
	return m, nil
}

// parseActivity reads an activity; it needs type, actor and id.
func parseActivity(body []byte) (*inActivity, error) {
	m, err := decodeJSONObject(body)
	if err != nil {
		return nil, err
	}
	return activityFromMap(m)
}

func activityFromMap(m map[string]any) (*inActivity, error) {
	a := &inActivity{raw: m, Type: typeOf(m), ID: str(m["id"]), Actor: idOf(m["actor"]), Object: m["object"], Target: m["target"],
		To: idsOf(m["to"]), Cc: idsOf(m["cc"])}
	switch {
	case a.Type == "":
		return nil, errors.New("activity has no type")
	case a.Actor == "":
		return nil, errors.New("activity has no actor (a string or an object with an id)")
	case a.ID == "":
		return nil, errors.New("activity has no id")
	case !isHTTPURL(a.Actor):
		return nil, fmt.Errorf("actor %q is not an http(s) URL", a.Actor)
	case !isHTTPURL(a.ID):
		return nil, fmt.Errorf("activity id %q is not an http(s) URL", a.ID)
	}
	return a, nil
}

// Object types that become comments.
func isNoteType(t string) bool {
	switch t {
	case "Note", "Article", "Page", "Question":
		return true
	}
	return false
}

// Actor types.
func isActorType(t string) bool {
	switch t {
	case "Person", "Service", "Application", "Group", "Organization":
		return true
	}
	return false
}

// inNote is a Note, Article, Page or Question.
type inNote struct {
	ID, Type, AttributedTo, InReplyTo string
	URL, Name, Content, Summary       string // Content and Summary are raw (unsanitized) HTML
	Sensitive                         bool
	To, Cc                            []string
	Published, Updated                time.Time
	Attachments                       []attachment
	Emojis                            []emoji
	Mentions                          []string // hrefs of Mention tags
	Quotes                            []string // quoted object ids, every spelling
	Replies, Context                  any      // collections, as sent
}

type attachment struct{ URL, MediaType, Name string }
type emoji struct{ Name, URL string }

// maxAttachments bounds what one remote reply may carry.
const maxAttachments = 8

func parseNote(m map[string]any) (*inNote, error) {
	n := &inNote{
		ID: str(m["id"]), Type: typeOf(m), AttributedTo: idOf(m["attributedTo"]), InReplyTo: idOf(m["inReplyTo"]),
		Name: langString(m, "name"), Content: langString(m, "content"), Summary: langString(m, "summary"),
		To: idsOf(m["to"]), Cc: idsOf(m["cc"]), Replies: m["replies"], Context: m["context"],
		Published: parseTime(m["published"]), Updated: parseTime(m["updated"]),
	}
	if n.ID == "" || !isHTTPURL(n.ID) {
		return nil, fmt.Errorf("%s has no http(s) id", n.Type)
	}
	n.Sensitive, _ = m["sensitive"].(bool)
	n.URL = htmlURL(m["url"])
	for _, v := range list(m["attachment"]) {
		a := asMap(v)
		if a == nil || len(n.Attachments) >= maxAttachments {
			continue
		}
		if t := typeOf(a); t == "PropertyValue" || t == "Link" && str(a["rel"]) != "" {
			continue
		}
		u, mt := linkHref(a["url"]), str(a["mediaType"])
		if u == "" {
			u = str(a["href"])
		}
		if lm := asMap(first(a["url"])); lm != nil && mt == "" {
			mt = str(lm["mediaType"])
		}
		if isHTTPURL(u) {
			n.Attachments = append(n.Attachments, attachment{URL: u, MediaType: mt, Name: str(a["name"])})
		}
	}
	for _, v := range list(m["tag"]) {
		t := asMap(v)
		if t == nil {
			continue
		}
		switch typeOf(t) {
		case "Emoji":
			name := strings.Trim(str(t["name"]), ":")
			icon := linkHref(asMap(first(t["icon"]))["url"])
			if name != "" && isHTTPURL(icon) {
				n.Emojis = append(n.Emojis, emoji{Name: ":" + name + ":", URL: icon})
			}
		case "Mention":
			if h := str(t["href"]); h != "" {
				n.Mentions = append(n.Mentions, h)
			}
		case "Link":
			// FEP-e232 object link: a quote when rel names a quote property.
			rel := strings.Join(strsOf(t["rel"]), " ")
			if strings.Contains(rel, "_misskey_quote") || strings.Contains(rel, "quoteUri") || strings.Contains(rel, "quoteUrl") {
				if h := str(t["href"]); h != "" {
					n.Quotes = append(n.Quotes, h)
				}
			}
		}
	}
	// FEP-044f "quote", Fedibird "quoteUri", Misskey "_misskey_quote", and
	// the older "quoteUrl" (Misskey, Akkoma).
	for _, k := range []string{"quote", "quoteUri", "quoteUrl", "_misskey_quote"} {
		if q := idOf(m[k]); q != "" {
			n.Quotes = append(n.Quotes, q)
		}
	}
	return n, nil
}

// visibility is Mastodon's reading of the addressing: public when Public is
// in to, unlisted when only in cc, followers when the author's followers
// collection is addressed, direct otherwise.
func visibility(to, cc []string, followersCollection string) string {
	for _, x := range to {
		if isPublicCollection(x) {
			return "public"
		}
	}
	for _, x := range cc {
		if isPublicCollection(x) {
			return "unlisted"
		}
	}
	if followersCollection != "" {
		for _, x := range append(append([]string{}, to...), cc...) {
			if x == followersCollection {
				return "followers"
			}
		}
	}
	return "direct"
}

// inActor is an actor document.
type inActor struct {
	ID, Type, PreferredUsername, Name, Summary string
	URL, Icon, Inbox, SharedInbox, Followers   string
	KeyID, KeyOwner, KeyPEM                    string
	KeyVerified                                bool // fetching KeyID named this actor as its owner
	AlsoKnownAs                                []string
	MovedTo                                    string
}

// parseActor reads an actor; wantKey selects among several public keys
// ("" takes the first).
func parseActor(m map[string]any, wantKey string) (*inActor, error) {
	a := &inActor{
		ID: str(m["id"]), Type: typeOf(m), PreferredUsername: str(m["preferredUsername"]),
		Name: langString(m, "name"), Summary: langString(m, "summary"), URL: htmlURL(m["url"]),
		Inbox: idOf(m["inbox"]), Followers: idOf(m["followers"]), AlsoKnownAs: idsOf(m["alsoKnownAs"]),
		MovedTo: idOf(m["movedTo"]),
	}
	if !isActorType(a.Type) {
		return nil, fmt.Errorf("%q is a %q, not an actor", a.ID, a.Type)
	}
	if !isHTTPURL(a.ID) {
		return nil, fmt.Errorf("actor id %q is not an http(s) URL", a.ID)
	}
	if icon := asMap(first(m["icon"])); icon != nil {
		a.Icon = linkHref(icon["url"])
	} else {
		a.Icon = linkHref(m["icon"])
	}
	if ep := asMap(m["endpoints"]); ep != nil {
		a.SharedInbox = idOf(ep["sharedInbox"])
	}
	if k := pickKey(m["publicKey"], wantKey); k != nil {
		a.KeyID, a.KeyOwner, a.KeyPEM = str(k["id"]), idOf(k["owner"]), str(k["publicKeyPem"])
	}
	return a, nil
}

// pickKey chooses the publicKey entry with id want (or the first one).
func pickKey(v any, want string) map[string]any {
	var firstKey map[string]any
	for _, x := range list(v) {
		k := asMap(x)
		if k == nil || str(k["publicKeyPem"]) == "" {
			continue
		}
		if want == "" || str(k["id"]) == want {
			return k
		}
		if firstKey == nil {
			firstKey = k
		}
	}
	if want != "" {
		return nil
	}
	return firstKey
}

// ---- helpers over decoded JSON ----

func str(v any) string {
	s, _ := v.(string)
	return strings.TrimSpace(s)
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// list turns a single value or an array into a slice.
func list(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	default:
		return []any{x}
	}
}

func first(v any) any {
	if l := list(v); len(l) > 0 {
		return l[0]
	}
	return nil
}

// idOf reads a reference: a string, an object's id or a Link's href; for
// an array, the first entry.
func idOf(v any) string {
	switch x := first(v).(type) {
	case string:
		return strings.TrimSpace(x)
	case map[string]any:
		if id := str(x["id"]); id != "" {
			return id
		}
		return str(x["href"])
	}
	return ""
}

func idsOf(v any) []string {
	var out []string
	for _, x := range list(v) {
		if id := idOf(x); id != "" {
			out = append(out, id)
		}
	}
	return out
}

func strsOf(v any) []string {
	var out []string
	for _, x := range list(v) {
		if s := str(x); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// typeOf is an object's type; with several (JSON-LD allows it) the first.
func typeOf(m map[string]any) string {
	if m == nil {
		return ""
	}
	return str(first(m["type"]))
}

// langString reads a natural-language property: the plain one, else the
// first value of its …Map.
func langString(m map[string]any, key string) string {
	if s, ok := m[key].(string); ok && s != "" {
		return s
	}
	if lm := asMap(m[key+"Map"]); lm != nil {
		for _, v := range lm {
			if s, ok := v.(string); ok && s != "" {
				return s
			}
		}
	}
	return ""
}

// linkHref reads a URL given as a string, a Link (href) or an array of
// them; it prefers text/html links and returns only http(s) URLs.
func linkHref(v any) string {
	var fallback string
	for _, x := range list(v) {
		var u, mt string
		switch y := x.(type) {
		case string:
			u = strings.TrimSpace(y)
		case map[string]any:
			u, mt = str(y["href"]), str(y["mediaType"])
			if u == "" {
				u = str(y["url"])
			}
		}
		if !isHTTPURL(u) {
			continue
		}
		if mt == "text/html" {
			return u
		}
		if fallback == "" {
			fallback = u
		}
	}
	return fallback
}

// htmlURL is an object's human-facing url.
func htmlURL(v any) string { return linkHref(v) }

func parseTime(v any) time.Time {
	s := str(v)
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// isHTTPURL reports an absolute http(s) URL with a host.
func isHTTPURL(s string) bool {
	if s == "" || len(s) > 2048 {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}

// hostOf is the lower-cased host[:port] of a URL, "" when unparseable.
func hostOf(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// sameHost reports two URLs on one host (and port).
func sameHost(a, b string) bool {
	ha := hostOf(a)
	return ha != "" && ha == hostOf(b)
}

// withoutFragment drops "#…" (key ids such as …/users/x#main-key).
func withoutFragment(s string) string {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		return s[:i]
	}
	return s
}
