package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"mime"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"

	"fedpress/models"
	"fedpress/web"
)

// Actor types. Authors and the blog are both "Person": Mastodon renders a
// Person as an ordinary followable account, while "Service" adds the
// "Automated" bot badge (and bots are left out of some discovery surfaces),
// and "Group" gets group semantics (mentions of it are boosted to members).
// The blog actor is a voice of the blog whose comments people read, not a
// bot. The instance actor is FEP-2677's Application.
const (
	actorTypePerson      = "Person"
	actorTypeApplication = "Application"
)

// actorFields is what differs between our three kinds of actor.
type actorFields struct {
	typ, username, name, summaryHTML string
	id, profileURL, inbox, keyID     string
	outbox, followers, following     string
	featured                         string
	avatar, header                   string // media file names
	publicKeyPEM                     string
	published                        time.Time
	fields                           []profileField
	alsoKnownAs                      []string
	manuallyApproves                 bool
}

// profileField is one "name: value" line of a profile.
type profileField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// IsBlogActor reports whether username names the blog actor.
func IsBlogActor(st *models.Settings, username string) bool {
	return username != "" && strings.EqualFold(username, blogActorName(st))
}

// BlogAvatar is the media file shown as the blog actor's avatar: its own,
// else the site icon; "" for none.
func BlogAvatar(st *models.Settings) string {
	if st.BlogAvatarPath != "" {
		return st.BlogAvatarPath
	}
	return st.SiteIconPath
}

func blogActorName(st *models.Settings) string {
	if st.BlogUsername == "" {
		return models.DefaultBlogUsername
	}
	return st.BlogUsername
}

// ActorDocument is the actor of a local username: an author or the blog
// actor (models.ErrNotFound for others). keyOnly is the reduced document
// Mastodon serves unsigned requests in authorized-fetch mode: enough to
// verify a signature and to address the actor, nothing to crawl.
func (s *Service) ActorDocument(ctx context.Context, username string, keyOnly bool) (Doc, error) {
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	if IsBlogActor(st, username) {
		return s.buildActor(s.blogActorFields(st), keyOnly)
	}
	a, err := s.store.AuthorByUsername(ctx, username)
	if err != nil {
		return nil, err
	}
	return s.buildActor(s.authorActorFields(st, a), keyOnly)
}

// InstanceActorDocument is the server's own actor (FEP-2677), which signs
// fetches and which some servers follow for relays.
func (s *Service) InstanceActorDocument(ctx context.Context) (Doc, error) {
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	u := s.cfg.URLs
	return s.buildActor(actorFields{
		typ: actorTypeApplication, username: u.InstanceUsername(), name: u.Host(),
		id: u.InstanceActor(), profileURL: u.Abs("/"), inbox: u.InstanceActor() + "/inbox",
		keyID: u.InstanceKey(), publicKeyPEM: st.InstancePublicKeyPEM, published: st.CreatedAt,
		// Nobody should follow the instance actor by accident.
		manuallyApproves: true,
	}, false)
}

func (s *Service) blogActorFields(st *models.Settings) actorFields {
	u, name := s.cfg.URLs, blogActorName(st)
	display := st.BlogName
	if display == "" {
		display = st.Title
	}
	summary := st.BlogSummary
	if summary == "" {
		summary = st.Tagline
	}
	f := s.localActorFields(name)
	f.name, f.summaryHTML = display, web.TextToHTML(summary)
	f.publicKeyPEM, f.published = st.BlogPublicKeyPEM, st.CreatedAt
	f.manuallyApproves = st.ManuallyApprovesFollowers
	f.fields = []profileField{{Name: "Website", Value: u.Abs("/")}}
	f.avatar, f.header = BlogAvatar(st), st.BlogHeaderPath
	return f
}

func (s *Service) authorActorFields(st *models.Settings, a *models.Author) actorFields {
	f := s.localActorFields(a.Username)
	f.name, f.summaryHTML = a.Name, a.BioHTML
	f.avatar, f.header = a.AvatarPath, a.HeaderPath
	f.publicKeyPEM, f.published = a.PublicKeyPEM, a.CreatedAt
	f.manuallyApproves = st.ManuallyApprovesFollowers
	if a.Fields != "" {
		// A malformed fields column only costs the profile its fields.
		_ = json.Unmarshal([]byte(a.Fields), &f.fields)
	}
	for _, aka := range strings.Split(a.AlsoKnownAs, "\n") {
		if aka = strings.TrimSpace(aka); aka != "" {
			f.alsoKnownAs = append(f.alsoKnownAs, aka)
		}
	}
	return f
}

func (s *Service) localActorFields(username string) actorFields {
	u := s.cfg.URLs
	return actorFields{
		typ: actorTypePerson, username: username, name: username,
		id: u.Actor(username), profileURL: u.Profile(username), inbox: u.Inbox(username),
		keyID: u.ActorKey(username), outbox: u.Outbox(username), followers: u.Followers(username),
		following: u.Following(username), featured: u.Featured(username),
	}
}

// buildActor assembles the actor document; the extension terms go-fed does
// not know (endpoints, manuallyApprovesFollowers, discoverable, indexable,
// PropertyValue fields) are added to the map afterwards.
func (s *Service) buildActor(f actorFields, keyOnly bool) (Doc, error) {
	var (
		t      vocab.Type
		setter interface {
			SetJSONLDId(vocab.JSONLDIdProperty)
			SetActivityStreamsPreferredUsername(vocab.ActivityStreamsPreferredUsernameProperty)
			SetActivityStreamsName(vocab.ActivityStreamsNameProperty)
			SetActivityStreamsSummary(vocab.ActivityStreamsSummaryProperty)
			SetActivityStreamsUrl(vocab.ActivityStreamsUrlProperty)
			SetActivityStreamsInbox(vocab.ActivityStreamsInboxProperty)
			SetActivityStreamsOutbox(vocab.ActivityStreamsOutboxProperty)
			SetActivityStreamsFollowers(vocab.ActivityStreamsFollowersProperty)
			SetActivityStreamsFollowing(vocab.ActivityStreamsFollowingProperty)
			SetActivityStreamsIcon(vocab.ActivityStreamsIconProperty)
			SetActivityStreamsImage(vocab.ActivityStreamsImageProperty)
			SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
			SetW3IDSecurityV1PublicKey(vocab.W3IDSecurityV1PublicKeyProperty)
		}
	)
	if f.typ == actorTypeApplication {
		app := streams.NewActivityStreamsApplication()
		t, setter = app, app
	} else {
		p := streams.NewActivityStreamsPerson()
		t, setter = p, p
	}
	setter.SetJSONLDId(idProp(f.id))
	pu := streams.NewActivityStreamsPreferredUsernameProperty()
	pu.SetXMLSchemaString(f.username)
	setter.SetActivityStreamsPreferredUsername(pu)
	inbox := streams.NewActivityStreamsInboxProperty()
	inbox.SetIRI(iri(f.inbox))
	setter.SetActivityStreamsInbox(inbox)
	if f.outbox != "" {
		ob := streams.NewActivityStreamsOutboxProperty()
		ob.SetIRI(iri(f.outbox))
		setter.SetActivityStreamsOutbox(ob)
	}
	if f.publicKeyPEM != "" {
		pk := streams.NewW3IDSecurityV1PublicKey()
		pk.SetJSONLDId(idProp(f.keyID))
		owner := streams.NewW3IDSecurityV1OwnerProperty()
		owner.Set(iri(f.id))
		pk.SetW3IDSecurityV1Owner(owner)
		pem := streams.NewW3IDSecurityV1PublicKeyPemProperty()
		pem.Set(f.publicKeyPEM)
		pk.SetW3IDSecurityV1PublicKeyPem(pem)
		pkp := streams.NewW3IDSecurityV1PublicKeyProperty()
		pkp.AppendW3IDSecurityV1PublicKey(pk)
		setter.SetW3IDSecurityV1PublicKey(pkp)
	}
	if !keyOnly {
		setter.SetActivityStreamsName(nameProp(f.name))
		setter.SetActivityStreamsSummary(summaryProp(f.summaryHTML))
		setter.SetActivityStreamsUrl(urlProp(f.profileURL))
		if f.followers != "" {
			fp := streams.NewActivityStreamsFollowersProperty()
			fp.SetIRI(iri(f.followers))
			setter.SetActivityStreamsFollowers(fp)
			gp := streams.NewActivityStreamsFollowingProperty()
			gp.SetIRI(iri(f.following))
			setter.SetActivityStreamsFollowing(gp)
		}
		if f.avatar != "" {
			ip := streams.NewActivityStreamsIconProperty()
			ip.AppendActivityStreamsImage(s.imageObject(f.avatar))
			setter.SetActivityStreamsIcon(ip)
		}
		if f.header != "" {
			ip := streams.NewActivityStreamsImageProperty()
			ip.AppendActivityStreamsImage(s.imageObject(f.header))
			setter.SetActivityStreamsImage(ip)
		}
		if !f.published.IsZero() {
			// Mastodon publishes the day only: the exact second adds nothing.
			day := f.published.UTC().Truncate(24 * time.Hour)
			setter.SetActivityStreamsPublished(publishedProp(day))
		}
	}
	m, err := finish(t)
	if err != nil {
		return nil, fmt.Errorf("actor %s: %w", f.username, err)
	}
	m["endpoints"] = map[string]any{"sharedInbox": s.cfg.URLs.SharedInbox()}
	m["manuallyApprovesFollowers"] = f.manuallyApproves
	if keyOnly {
		return m, nil
	}
	if f.featured != "" {
		m["featured"] = f.featured
	}
	m["discoverable"] = f.typ != actorTypeApplication
	m["indexable"] = f.typ != actorTypeApplication
	m["tag"] = []any{}
	attachments := []any{}
	for _, pf := range f.fields {
		name, value := strings.TrimSpace(pf.Name), strings.TrimSpace(pf.Value)
		if name == "" && value == "" {
			continue
		}
		attachments = append(attachments, Doc{"type": "PropertyValue", "name": name, "value": fieldValueHTML(value)})
	}
	m["attachment"] = attachments
	if len(f.alsoKnownAs) > 0 {
		aka := make([]any, len(f.alsoKnownAs))
		for i, v := range f.alsoKnownAs {
			aka[i] = v
		}
		m["alsoKnownAs"] = aka
	}
	return m, nil
}

// imageObject is an Image of one of our media files (avatar, header).
func (s *Service) imageObject(name string) vocab.ActivityStreamsImage {
	img := streams.NewActivityStreamsImage()
	img.SetActivityStreamsUrl(urlProp(s.mediaURL(name)))
	if mt := mime.TypeByExtension(path.Ext(name)); mt != "" {
		mtp := streams.NewActivityStreamsMediaTypeProperty()
		mtp.Set(strings.SplitN(mt, ";", 2)[0])
		img.SetActivityStreamsMediaType(mtp)
	}
	return img
}

// mediaURL is the absolute URL of a media file name.
func (s *Service) mediaURL(name string) string {
	return s.cfg.URLs.Media(url.PathEscape(name))
}

// fieldValueHTML renders a profile field value as Mastodon does: escaped
// text, and a link when it is a URL (rel="me" lets Mastodon verify it).
func fieldValueHTML(v string) string {
	plain := web.PlainText(v)
	if u, ok := web.HTTPURL(plain); ok {
		text := strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
		return `<a href="` + html.EscapeString(u) + `" rel="me nofollow noopener noreferrer" target="_blank">` + html.EscapeString(text) + `</a>`
	}
	return html.EscapeString(plain)
}
