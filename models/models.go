// Package models holds the GORM models and every database query. It is the
// only package that holds a *gorm.DB.
package models

import (
	"time"
)

// Article statuses. A published article whose PublishedAt lies in the future
// is "scheduled": readers cannot see it until then.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
	StatusDeleted   = "deleted"
)

// Account roles, as WordPress bloggers know them. See handlers/policy.go
// for what each may do.
const (
	RoleOwner  = "owner"  // the administrator: everything, other accounts' roles too
	RoleEditor = "editor" // every article and comment; not settings, blocks or roles
	RoleAuthor = "author" // their own articles and media, and the comments on them
)

// Author is a local account and an ActivityPub actor (@username@host).
type Author struct {
	ID            uint   `gorm:"primaryKey"`
	Username      string `gorm:"size:64;uniqueIndex;not null"`
	Name          string `gorm:"size:200;not null"`
	Role          string `gorm:"size:16;not null;default:'author'"`
	Bio           string `gorm:"type:text"` // Markdown source
	BioHTML       string `gorm:"type:text"` // sanitized rendering
	AvatarPath    string `gorm:"size:300"`  // media file name, empty for none
	HeaderPath    string `gorm:"size:300"`
	Email         string `gorm:"size:200"`
	PasswordHash  string `gorm:"size:200;not null"`
	PrivateKeyPEM string `gorm:"type:text;not null"`
	PublicKeyPEM  string `gorm:"type:text;not null"`
	AlsoKnownAs   string `gorm:"type:text"` // newline-separated actor URIs
	Fields        string `gorm:"type:text"` // JSON [{"name":..,"value":..}] profile fields
	// MuteHeldMail and MuteReplyMail turn off the e-mail about comments
	// awaiting moderation and about new fediverse replies; negative so the
	// zero value (which GORM will not write over a default) means "notify".
	MuteHeldMail  bool `gorm:"not null;default:false"`
	MuteReplyMail bool `gorm:"not null;default:false"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Settings is the single row of blog-wide configuration, including the blog
// actor's and the instance actor's keys.
type Settings struct {
	ID                    uint   `gorm:"primaryKey"`
	Title                 string `gorm:"size:200"`
	Tagline               string `gorm:"size:300"`
	Language              string `gorm:"size:16"`
	BlogUsername          string `gorm:"size:64"` // handle of the blog actor, default "blog"
	BlogName              string `gorm:"size:200"`
	BlogSummary           string `gorm:"type:text"`
	BlogPrivateKeyPEM     string `gorm:"type:text"`
	BlogPublicKeyPEM      string `gorm:"type:text"`
	InstancePrivateKeyPEM string `gorm:"type:text"`
	InstancePublicKeyPEM  string `gorm:"type:text"`
	ObjectType            string `gorm:"size:16"` // ObjectTypeLead (default; older rows "Article") or ObjectTypeNote
	FediModeration        string `gorm:"size:16"` // "open" (default), "first" or "all"
	HoldVisitorComments   bool   // visitor comments wait for approval
	// SkipLinkNotifications turns off telling the pages an article links
	// to (Webmention, Pingback), as WordPress's "notify any blogs linked
	// to". Negative so that the zero value, which GORM will not write over
	// a column default, keeps the usual behaviour.
	SkipLinkNotifications     bool `gorm:"not null;default:false"`
	ManuallyApprovesFollowers bool
	AuthorizedFetch           bool
	PostsPerPage              int
	BlogAvatarPath            string `gorm:"size:300"` // the blog actor's avatar: a media file name, empty for none
	BlogHeaderPath            string `gorm:"size:300"` // the blog actor's header image
	SiteIconPath              string `gorm:"size:300"` // favicon, and the blog's avatar when it has none
	SetupToken                string `gorm:"size:100"` // one-time first-author token; empty once used
	CreatedAt                 time.Time
	UpdatedAt                 time.Time

	// TimeZone (IANA name, empty for UTC) and DateFormat (a key of
	// web.DateFormats, empty for the default) are how pages show dates.
	TimeZone   string `gorm:"size:64"`
	DateFormat string `gorm:"size:16"`
	// Menu is the header navigation, JSON []MenuItem; empty shows Home and
	// the published pages.
	Menu string `gorm:"type:text"`
}

// Article is a blog post. HTML is the sanitized rendering of Markdown, kept so
// that reading never renders.
type Article struct {
	ID          uint       `gorm:"primaryKey"`
	AuthorID    uint       `gorm:"index;not null"`
	Author      Author     `gorm:"constraint:OnDelete:RESTRICT"`
	Slug        string     `gorm:"size:200;uniqueIndex;not null"`
	Title       string     `gorm:"size:500;not null"`
	Summary     string     `gorm:"type:text"` // author's summary; empty means an excerpt is used
	Markdown    string     `gorm:"type:text"`
	HTML        string     `gorm:"type:text"`
	Format      string     `gorm:"size:16"` // "markdown" or "html" (imported)
	Status      string     `gorm:"size:16;index;not null"`
	PublishedAt *time.Time `gorm:"index"`
	Language    string     `gorm:"size:16"`
	Pinned      bool
	// FederatedAt is when Create was queued for followers; nil for articles
	// not (yet) announced, so scheduled articles federate when they go live.
	FederatedAt *time.Time
	// Imported articles (WordPress) are never pushed to followers.
	Imported  bool
	WPPostID  int     `gorm:"index"`
	Tags      []Tag   `gorm:"many2many:article_tags"`
	Media     []Media `gorm:"many2many:article_media"`
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt *time.Time // set when deleted; the id then answers 410 with a Tombstone

	// LastEditedByID is the account that saved the article last: an editor
	// or the owner may edit an article that stays attributed to its author.
	LastEditedByID *uint
	// FileKey is the `id:` in the front matter of the Markdown file that
	// `fedpress post` saves the article from: posting that file again
	// updates this article and no other. Nil for the others.
	FileKey *string `gorm:"size:64;uniqueIndex"`

	// FeaturedMediaID is the image the author chose to represent the
	// article (lists, link previews, the federated preview); nil means
	// the first image. See FeaturedMedia.
	FeaturedMediaID *uint

	// Kind is ArticlePost or ArticlePage, as WordPress's post_type: a page
	// (About, Contact) lives at /slug/, outside lists, feeds and federation.
	Kind string `gorm:"size:8;not null;default:'post';index"`
}

// Article kinds.
const (
	ArticlePost = "post"
	ArticlePage = "page"
)

// MenuItem is one entry of the site header's navigation.
type MenuItem struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

// Tag groups articles; WordPress categories become tags too.
type Tag struct {
	ID   uint   `gorm:"primaryKey"`
	Name string `gorm:"size:100;not null"`
	Slug string `gorm:"size:120;uniqueIndex;not null"`
}

// Media is an uploaded image stored on disk under the data folder.
type Media struct {
	ID        uint   `gorm:"primaryKey"`
	AuthorID  uint   `gorm:"index"`
	Path      string `gorm:"size:300;uniqueIndex;not null"` // file name inside the media folder
	MimeType  string `gorm:"size:64;not null"`
	Width     int
	Height    int
	Size      int64
	Alt       string `gorm:"type:text"`
	Caption   string `gorm:"type:text"`
	RemoteURL string `gorm:"type:text"` // imported attachments kept as links
	// Variants are resized copies (narrowest first), for srcset.
	Variants  []MediaVariant `gorm:"type:text;serializer:json"`
	CreatedAt time.Time
}

// MediaVariant is a resized copy of an uploaded image, stored next to it.
type MediaVariant struct {
	Name          string `json:"name"`
	Width, Height int
	Size          int64
}

// Interaction kinds: everything that happens to an article from outside.
const (
	KindComment    = "comment"
	KindPingback   = "pingback"
	KindTrackback  = "trackback"
	KindWebmention = "webmention"
	KindBoost      = "boost"
	KindLike       = "like"
	KindQuote      = "quote"
	KindReaction   = "reaction" // an emoji reaction (Misskey, Pleroma): Content holds the emoji
)

// Interaction sources.
const (
	SourceWeb         = "web"
	SourceActivityPub = "activitypub"
	SourceLocal       = "local" // the author answering from the admin area
	SourcePingback    = "pingback"
	SourceWebmention  = "webmention"
	SourceWXR         = "wxr"
)

// Interaction statuses: one moderation flow for every kind.
const (
	StatusApproved = "approved"
	StatusPending  = "pending"
	StatusSpam     = "spam"
	StatusRemoved  = "deleted"
	StatusPrivate  = "private" // a direct message: never shown publicly
	StatusHidden   = "hidden"  // hidden by a block
)

// Interaction is a comment, pingback, boost, like, quote or webmention.
type Interaction struct {
	ID        uint   `gorm:"primaryKey"`
	ArticleID uint   `gorm:"index;not null"`
	ParentID  *uint  `gorm:"index"` // threading: the comment this one answers
	Kind      string `gorm:"size:16;index;not null"`
	Source    string `gorm:"size:16;not null"`
	Status    string `gorm:"size:16;index;not null"`

	AuthorName  string `gorm:"size:200"`
	AuthorEmail string `gorm:"size:200"` // never shown publicly
	AuthorURL   string `gorm:"type:text"`
	AuthorIP    string `gorm:"size:64"`
	UserAgent   string `gorm:"type:text"`

	RemoteActorID *uint        `gorm:"index"`
	RemoteActor   *RemoteActor `gorm:"constraint:OnDelete:SET NULL"`
	LocalAuthorID *uint        `gorm:"index"` // set for the author's own answers
	LocalAuthor   *Author      `gorm:"constraint:OnDelete:SET NULL"`

	// ObjectURI identifies the remote object (Note id, Like/Announce activity
	// id, pingback source) so Undo/Update/Delete and duplicates find it.
	ObjectURI   *string `gorm:"type:text;uniqueIndex"`
	ActivityURI string  `gorm:"type:text"`
	URL         string  `gorm:"type:text"` // human-facing link (Note url, source page)
	InReplyTo   string  `gorm:"type:text"` // the object answered, as a URI
	Title       string  `gorm:"type:text"` // pingback/webmention source title
	Content     string  `gorm:"type:text"` // sanitized HTML
	Summary     string  `gorm:"type:text"` // content warning
	Sensitive   bool
	Attachments string `gorm:"type:text"` // JSON []Attachment
	Emojis      string `gorm:"type:text"` // JSON []Emoji
	Visibility  string `gorm:"size:16"`   // public, unlisted, followers, direct

	PublishedAt time.Time `gorm:"index"`
	EditedAt    *time.Time
	// StampedAt is when a quote got its QuoteAuthorization (FEP-044f); nil
	// for quotes that never asked and for every other kind.
	StampedAt *time.Time
	// LocalActor is the local actor (username; the blog's or an author's) a
	// direct message named, or an answer to one was sent as: a server shows
	// an answer only from someone the message was addressed to.
	LocalActor string `gorm:"size:64"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Attachment is a media attachment on a remote reply.
type Attachment struct {
	URL       string `json:"url"`
	MediaType string `json:"mediaType"`
	Name      string `json:"name"` // alt text
	Width     int    `json:"width,omitempty"`
	Height    int    `json:"height,omitempty"`
}

// Emoji is a custom emoji used in a remote reply (:shortcode:).
type Emoji struct {
	Name string `json:"name"` // ":shortcode:"
	URL  string `json:"url"`
}

// RemoteActor caches a fediverse account: identity, inboxes and key.
type RemoteActor struct {
	ID           uint   `gorm:"primaryKey"`
	URI          string `gorm:"type:text;uniqueIndex;not null"`
	Type         string `gorm:"size:32"`
	Username     string `gorm:"size:200"`
	Host         string `gorm:"size:200;index"`
	Name         string `gorm:"type:text"`
	Summary      string `gorm:"type:text"`
	URL          string `gorm:"type:text"`
	AvatarURL    string `gorm:"type:text"`
	Inbox        string `gorm:"type:text"`
	SharedInbox  string `gorm:"type:text"`
	Followers    string `gorm:"type:text"`
	PublicKeyID  string `gorm:"type:text;index"`
	PublicKeyPEM string `gorm:"type:text"`
	AlsoKnownAs  string `gorm:"type:text"` // newline-separated
	MovedTo      string `gorm:"type:text"`
	FetchedAt    time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Handle is @username@host.
func (a RemoteActor) Handle() string {
	if a.Username == "" {
		return a.URI
	}
	return "@" + a.Username + "@" + a.Host
}

// Follower statuses.
const (
	FollowPending  = "pending"
	FollowAccepted = "accepted"
)

// Follower links a local actor (the blog actor or an author, by username) to
// a remote follower.
type Follower struct {
	ID               uint        `gorm:"primaryKey"`
	LocalUsername    string      `gorm:"size:64;not null;uniqueIndex:idx_follower_pair"`
	RemoteActorID    uint        `gorm:"not null;uniqueIndex:idx_follower_pair;index"`
	RemoteActor      RemoteActor `gorm:"constraint:OnDelete:CASCADE"`
	FollowActivityID string      `gorm:"type:text"`
	Status           string      `gorm:"size:16;index;not null"`
	AnsweredAt       *time.Time  // last Accept queued for a Follow received (see the inbox's inboxFollow)
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// InboxItem is an incoming activity, stored before the 202 and processed by
// a worker, so a crash loses nothing and a duplicate id has no second effect.
type InboxItem struct {
	ID          uint   `gorm:"primaryKey"`
	ActivityID  string `gorm:"type:text;uniqueIndex;not null"`
	Type        string `gorm:"size:64"`
	ActorURI    string `gorm:"type:text"`
	SignerKeyID string `gorm:"type:text"`
	Recipient   string `gorm:"size:64"` // local username of a personal inbox, empty for the shared inbox
	Body        string `gorm:"type:text;not null"`
	ReceivedAt  time.Time
	ProcessedAt *time.Time `gorm:"index"`
	Attempts    int
	NextAt      time.Time `gorm:"index"`
	Error       string    `gorm:"type:text"`
	ClaimedBy   string    `gorm:"size:100"`
	ClaimedAt   *time.Time
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Delivery is one activity to one inbox: the durable outgoing queue.
//
// The body to send is stored once per distinct body in delivery_bodies
// (a fan-out to 10,000 inboxes writes it once), keyed by BodyHash. Body is
// not a column: EnqueueDeliveries stores it and the claims load it back;
// the admin list leaves it empty, and so do finished rows whose body was
// purged.
type Delivery struct {
	ID            uint      `gorm:"primaryKey"`
	ActivityID    string    `gorm:"type:text;not null;uniqueIndex:idx_delivery_target"`
	Inbox         string    `gorm:"type:text;not null;uniqueIndex:idx_delivery_target"`
	Host          string    `gorm:"size:200;index"`
	Kind          string    `gorm:"size:32"` // activity type, or "webmention"/"pingback"
	ArticleID     *uint     `gorm:"index"`
	InteractionID *uint     `gorm:"index"`
	SignAs        string    `gorm:"size:64"` // local username whose key signs
	BodyHash      string    `gorm:"size:64"` // DeliveryBody.Hash
	Body          string    `gorm:"-"`       // the JSON to POST (a mention job for webmention rows)
	Status        string    `gorm:"size:16;not null;index:idx_delivery_due,priority:1"`
	NextAttemptAt time.Time `gorm:"index:idx_delivery_due,priority:2"`
	Attempts      int
	LastStatus    int
	LastError     string `gorm:"type:text"`
	ClaimedBy     string `gorm:"size:100"`
	ClaimedAt     *time.Time
	DeliveredAt   *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// DeliveryBody is the body of one or many deliveries, stored once and keyed
// by its SHA-256 (hex). Keying by content rather than by activity id lets
// rows whose body differs per target (mention jobs) use the same table,
// and makes a re-queued identical body a no-op.
type DeliveryBody struct {
	Hash string `gorm:"primaryKey;size:64"`
	Body string `gorm:"type:text;not null"`
	// UsedAt is the last time rows were queued with this body; the purge
	// spares recent bodies so it cannot race an enqueue still in flight.
	UsedAt time.Time `gorm:"not null"`
}

// RemoteHost tracks whether a host answers, so a host failing for days is
// skipped until it is seen alive again.
type RemoteHost struct {
	Host          string `gorm:"primaryKey;size:200"`
	FailingSince  *time.Time
	Unreachable   bool
	LastSuccessAt *time.Time
	UpdatedAt     time.Time
}

// Block kinds.
const (
	BlockActor   = "actor"
	BlockDomain  = "domain"
	BlockKeyword = "keyword"
)

// Block drops activities from an actor, a domain or containing a keyword.
type Block struct {
	ID        uint   `gorm:"primaryKey"`
	Kind      string `gorm:"size:16;not null;uniqueIndex:idx_block"`
	Value     string `gorm:"size:500;not null;uniqueIndex:idx_block"`
	CreatedAt time.Time
}

// Session is a logged-in admin browser. The cookie holds a random token; only
// its SHA-256 is stored.
type Session struct {
	TokenHash string    `gorm:"primaryKey;size:64"`
	AuthorID  uint      `gorm:"index;not null"`
	CSRFToken string    `gorm:"size:64;not null"`
	ExpiresAt time.Time `gorm:"index"`
	CreatedAt time.Time
}

// JobLease lets exactly one process run a scheduled job at a time.
type JobLease struct {
	Name      string `gorm:"primaryKey;size:64"`
	Holder    string `gorm:"size:100"`
	ExpiresAt time.Time
}

// LegacyRedirect maps old URLs (WordPress /?p=123, /2012/11/17/slug/) to an article.
type LegacyRedirect struct {
	Path      string `gorm:"primaryKey;size:500"`
	ArticleID uint   `gorm:"index;not null"`
}

// SchemaMigration records applied migration versions.
type SchemaMigration struct {
	Version   int `gorm:"primaryKey;autoIncrement:false"`
	Name      string
	AppliedAt time.Time
}
