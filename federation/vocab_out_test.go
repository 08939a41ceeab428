package federation

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"fedpress/models"
)

// contextOK checks the Mastodon-compatible @context.
func contextOK(t *testing.T, m map[string]any) {
	t.Helper()
	ctx, ok := m["@context"].([]any)
	if !ok || len(ctx) != 3 || ctx[0] != "https://www.w3.org/ns/activitystreams" || ctx[1] != "https://w3id.org/security/v1" {
		t.Fatalf("@context = %#v", m["@context"])
	}
	terms, _ := ctx[2].(map[string]any)
	for _, term := range []string{"manuallyApprovesFollowers", "sensitive", "Hashtag", "toot", "discoverable", "indexable", "featured", "schema", "PropertyValue", "value", "alsoKnownAs"} {
		if _, ok := terms[term]; !ok {
			t.Errorf("@context lacks %q", term)
		}
	}
}

// isArray checks that the keys are JSON arrays of n elements (n<0: any).
func isArray(t *testing.T, m map[string]any, n int, keys ...string) {
	t.Helper()
	for _, k := range keys {
		a, ok := m[k].([]any)
		if !ok {
			t.Errorf("%s is %T (%v), want an array", k, m[k], m[k])
			continue
		}
		if n >= 0 && len(a) != n {
			t.Errorf("%s has %d elements, want %d: %v", k, len(a), n, a)
		}
	}
}

func TestActorDocuments(t *testing.T) {
	e := newOutEnv(t, nil)
	ctx := context.Background()
	a := e.author("alice")
	a.AvatarPath, a.Fields, a.AlsoKnownAs = "alice face.png", `[{"name":"Site","value":"https://alice.example/"},{"name":"Pronouns","value":"she/her & co"}]`, "https://old.example/users/alice"
	if err := e.store.SaveAuthor(ctx, a); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, username string
		keyOnly        bool
		check          func(t *testing.T, m map[string]any)
	}{
		{"author", "alice", false, func(t *testing.T, m map[string]any) {
			want := map[string]any{
				"type": "Person", "id": testBase + "/users/alice", "preferredUsername": "alice", "name": "Alice",
				"url": testBase + "/@alice", "inbox": testBase + "/users/alice/inbox", "outbox": testBase + "/users/alice/outbox",
				"followers": testBase + "/users/alice/followers", "following": testBase + "/users/alice/following",
				"featured": testBase + "/users/alice/featured", "summary": "<p>Writes.</p>",
				"manuallyApprovesFollowers": false, "discoverable": true, "indexable": true,
			}
			for k, v := range want {
				if m[k] != v {
					t.Errorf("%s = %#v, want %#v", k, m[k], v)
				}
			}
			if dig(m, "endpoints", "sharedInbox") != testBase+"/inbox" {
				t.Errorf("endpoints = %v", m["endpoints"])
			}
			if dig(m, "publicKey", "id") != testBase+"/users/alice#main-key" || dig(m, "publicKey", "owner") != testBase+"/users/alice" ||
				!strings.HasPrefix(dig(m, "publicKey", "publicKeyPem").(string), "-----BEGIN PUBLIC KEY-----") {
				t.Errorf("publicKey = %v", m["publicKey"])
			}
			if dig(m, "icon", "url") != testBase+"/media/alice%20face.png" || dig(m, "icon", "mediaType") != "image/png" {
				t.Errorf("icon = %v", m["icon"])
			}
			isArray(t, m, 2, "attachment")
			isArray(t, m, 1, "alsoKnownAs")
			isArray(t, m, 0, "tag")
			att := m["attachment"].([]any)
			f0, f1 := att[0].(map[string]any), att[1].(map[string]any)
			if f0["type"] != "PropertyValue" || f0["name"] != "Site" || !strings.Contains(f0["value"].(string), `<a href="https://alice.example/" rel="me`) {
				t.Errorf("field 0 = %v", f0)
			}
			if f1["value"] != "she/her &amp; co" {
				t.Errorf("field 1 value = %v (must be escaped)", f1["value"])
			}
			if p, _ := m["published"].(string); !strings.HasSuffix(p, "T00:00:00Z") {
				t.Errorf("published = %v", m["published"])
			}
		}},
		{"blog actor", "blog", false, func(t *testing.T, m map[string]any) {
			if m["type"] != "Person" || m["preferredUsername"] != "blog" || m["id"] != testBase+"/users/blog" {
				t.Errorf("blog actor = %v %v %v", m["type"], m["preferredUsername"], m["id"])
			}
			isArray(t, m, 1, "attachment")
		}},
		{"key only", "alice", true, func(t *testing.T, m map[string]any) {
			if m["publicKey"] == nil || m["inbox"] == nil || dig(m, "endpoints", "sharedInbox") == nil {
				t.Errorf("key-only actor lacks key or inbox: %v", m)
			}
			for _, k := range []string{"name", "summary", "icon", "attachment", "followers", "url"} {
				if _, ok := m[k]; ok {
					t.Errorf("key-only actor has %s", k)
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := e.svc.ActorDocument(ctx, tc.username, tc.keyOnly)
			if err != nil {
				t.Fatal(err)
			}
			m := asPeerSees(t, d)
			contextOK(t, m)
			tc.check(t, m)
		})
	}
	t.Run("instance actor", func(t *testing.T) {
		d, err := e.svc.InstanceActorDocument(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m := asPeerSees(t, d)
		if m["type"] != "Application" || m["preferredUsername"] != "blog.test" || m["id"] != testBase+"/actor" || m["inbox"] != testBase+"/actor/inbox" {
			t.Errorf("instance actor = %v", m)
		}
		if dig(m, "publicKey", "id") != testBase+"/actor#main-key" {
			t.Errorf("instance key = %v", m["publicKey"])
		}
	})
	t.Run("unknown", func(t *testing.T) {
		if _, err := e.svc.ActorDocument(ctx, "nobody", false); !models.ErrIsNotFound(err) {
			t.Fatalf("err = %v, want not found", err)
		}
	})
}

func TestArticleObject(t *testing.T) {
	e := newOutEnv(t, nil)
	ctx := context.Background()
	a := e.author("alice")
	img := &models.Media{Path: "b.jpg", MimeType: "image/jpeg", Width: 800, Height: 600, Alt: "A cat"}
	other := &models.Media{Path: "a.pdf", MimeType: "application/pdf"}
	for _, m := range []*models.Media{other, img} {
		if err := e.store.CreateMedia(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	pub := time.Date(2012, 11, 17, 10, 0, 0, 0, time.UTC)
	art, err := e.store.SaveArticle(ctx, 0, models.ArticleInput{
		Title: "Cats & dogs", Slug: "cats", HTML: `<p>Look <img src="/media/b.jpg" alt="A cat"> and <a href="/about/">about</a>.</p>`,
		Status: models.StatusPublished, PublishedAt: &pub, AuthorID: a.ID, Tags: []string{"Asia Pacific"},
		MediaIDs: []uint{other.ID, img.ID}, Language: "fr",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{models.KindComment, models.KindComment, models.KindLike} {
		if _, err := e.store.CreateInteraction(ctx, &models.Interaction{ArticleID: art.ID, Kind: k, Source: models.SourceActivityPub, Status: models.StatusApproved}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		objectType string
		check      func(t *testing.T, m map[string]any)
	}{
		// The default (and the old "Article" setting): title, lead, link.
		{"Article", func(t *testing.T, m map[string]any) {
			c, _ := m["content"].(string)
			if c != `<p><strong>Cats &amp; dogs</strong></p><p>Look and about.</p><p><a href="`+testBase+`/2012/11/cats/">`+testBase+`/2012/11/cats/</a></p>` {
				t.Errorf("lead content = %s", c)
			}
			if dig(m, "contentMap", "fr") != c {
				t.Errorf("contentMap = %v", m["contentMap"])
			}
		}},
		{"Lead", func(t *testing.T, m map[string]any) {
			if c, _ := m["content"].(string); !strings.Contains(c, "<p>Look and about.</p>") || strings.Contains(c, "<img") {
				t.Errorf("lead content = %s", c)
			}
		}},
		{"Note", func(t *testing.T, m map[string]any) {
			c, _ := m["content"].(string)
			if !strings.HasPrefix(c, "<p><strong>Cats &amp; dogs</strong></p>") || !strings.Contains(c, `<a href="`+testBase+`/2012/11/cats/">`) {
				t.Errorf("note content = %s", c)
			}
			if !strings.Contains(c, `src="`+testBase+`/media/b.jpg"`) || !strings.Contains(c, `href="`+testBase+`/about/"`) {
				t.Errorf("content URLs not absolute: %s", c)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.objectType, func(t *testing.T) {
			st, _ := e.store.GetSettings(ctx)
			st.ObjectType = tc.objectType
			if err := e.store.SaveSettings(ctx, st); err != nil {
				t.Fatal(err)
			}
			d, err := e.svc.ArticleObject(ctx, art)
			if err != nil {
				t.Fatal(err)
			}
			m := asPeerSees(t, d)
			contextOK(t, m)
			// A Note with neither name nor summary: GoToSocial would show
			// either as a content warning (see peers_view_test.go).
			if m["type"] != "Note" {
				t.Errorf("type = %v", m["type"])
			}
			for _, k := range []string{"name", "summary"} {
				if _, ok := m[k]; ok {
					t.Errorf("the object has %s = %v", k, m[k])
				}
			}
			if m["id"] != testBase+"/articles/"+itoa(art.ID) || m["url"] != testBase+"/2012/11/cats/" ||
				m["attributedTo"] != testBase+"/users/alice" || m["sensitive"] != false || m["published"] != "2012-11-17T10:00:00Z" {
				t.Errorf("id/url/attributedTo/sensitive/published = %v %v %v %v %v", m["id"], m["url"], m["attributedTo"], m["sensitive"], m["published"])
			}
			isArray(t, m, 1, "to", "tag")
			isArray(t, m, 2, "cc", "attachment")
			if m["to"].([]any)[0] != PublicCollection {
				t.Errorf("to = %v", m["to"])
			}
			if cc := m["cc"].([]any); cc[0] != testBase+"/users/alice/followers" || cc[1] != testBase+"/users/blog/followers" {
				t.Errorf("cc = %v", cc)
			}
			tag := m["tag"].([]any)[0].(map[string]any)
			if tag["type"] != "Hashtag" || tag["name"] != "#AsiaPacific" || tag["href"] != testBase+"/tag/asia-pacific/" {
				t.Errorf("tag = %v", tag)
			}
			att := m["attachment"].([]any)
			first, second := att[0].(map[string]any), att[1].(map[string]any)
			if first["type"] != "Image" || first["url"] != testBase+"/media/b.jpg" || first["name"] != "A cat" ||
				first["width"] != float64(800) || first["height"] != float64(600) || first["mediaType"] != "image/jpeg" {
				t.Errorf("first attachment (the image in the text) = %v", first)
			}
			if second["type"] != "Document" || second["mediaType"] != "application/pdf" {
				t.Errorf("second attachment = %v", second)
			}
			if dig(m, "replies", "totalItems") != float64(2) || dig(m, "likes", "totalItems") != float64(1) || dig(m, "shares", "totalItems") != float64(0) {
				t.Errorf("replies/likes/shares = %v %v %v", m["replies"], m["likes"], m["shares"])
			}
			if dig(m, "replies", "id") != testBase+"/articles/"+itoa(art.ID)+"/replies" {
				t.Errorf("replies id = %v", dig(m, "replies", "id"))
			}
			if m["context"] != testBase+"/articles/"+itoa(art.ID)+"/context" {
				t.Errorf("context = %v", m["context"])
			}
			tc.check(t, m)
		})
	}
}

func TestTombstoneAndActivities(t *testing.T) {
	e := newOutEnv(t, nil)
	ctx := context.Background()
	a := e.author("alice")
	art := e.article(a, "gone", time.Now().Add(-time.Hour))
	if err := e.store.DeleteArticle(ctx, art.ID, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	art, _ = e.store.ArticleByID(ctx, art.ID)
	d, err := e.svc.ArticleTombstone(art)
	if err != nil {
		t.Fatal(err)
	}
	m := asPeerSees(t, d)
	contextOK(t, m)
	if m["type"] != "Tombstone" || m["formerType"] != "Note" || m["id"] != testBase+"/articles/"+itoa(art.ID) || m["deleted"] == nil {
		t.Errorf("tombstone = %v", m)
	}

	st, _ := e.store.GetSettings(ctx)
	del, err := e.svc.deleteArticle(st, art)
	if err != nil {
		t.Fatal(err)
	}
	m = asPeerSees(t, del)
	if m["type"] != "Delete" || m["actor"] != testBase+"/users/alice" || dig(m, "object", "type") != "Tombstone" {
		t.Errorf("delete = %v", m)
	}
	if _, ok := dig(m, "object").(map[string]any)["@context"]; ok {
		t.Error("nested object carries @context")
	}
	isArray(t, m, 1, "to")

	acc, err := e.svc.followResponse(testBase+"/users/alice", "https://m.example/follows/1", "https://m.example/users/bob", false)
	if err != nil {
		t.Fatal(err)
	}
	m = asPeerSees(t, acc)
	if m["type"] != "Accept" || dig(m, "object", "id") != "https://m.example/follows/1" || dig(m, "object", "type") != "Follow" ||
		dig(m, "object", "actor") != "https://m.example/users/bob" || dig(m, "object", "object") != testBase+"/users/alice" {
		t.Errorf("accept = %v", m)
	}
	isArray(t, m, 1, "to")
	if id, _ := m["id"].(string); !strings.HasPrefix(id, testBase+"/users/alice#accepts/") {
		t.Errorf("accept id = %v", m["id"])
	}
	rej, _ := e.svc.followResponse(testBase+"/users/alice", "https://m.example/follows/1", "https://m.example/users/bob", true)
	if rej["type"] != "Reject" || rej["id"] == acc["id"] {
		t.Errorf("reject = %v", rej)
	}
}

func TestLocalReplyNote(t *testing.T) {
	e := newOutEnv(t, nil)
	ctx := context.Background()
	a := e.author("alice")
	art := e.article(a, "post", time.Now().Add(-time.Hour))
	bob := e.follower("alice", "https://m.example/users/bob", "https://m.example/users/bob/inbox", "https://m.example/inbox")
	bob.URL = "https://m.example/@bob"
	if err := e.store.UpsertRemoteActor(ctx, bob); err != nil {
		t.Fatal(err)
	}
	noteURI := "https://m.example/statuses/1"
	parent := &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceActivityPub, Status: models.StatusApproved,
		RemoteActorID: &bob.ID, ObjectURI: &noteURI, Content: "<p>Nice</p>"}
	if _, err := e.store.CreateInteraction(ctx, parent); err != nil {
		t.Fatal(err)
	}
	reply := &models.Interaction{ArticleID: art.ID, ParentID: &parent.ID, Kind: models.KindComment, Source: models.SourceLocal,
		Status: models.StatusApproved, LocalAuthorID: &a.ID, Content: "<p>Thanks!</p>"}
	if _, err := e.store.CreateInteraction(ctx, reply); err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.LocalReplyNote(ctx, reply.ID)
	if err != nil {
		t.Fatal(err)
	}
	m := asPeerSees(t, d)
	contextOK(t, m)
	if m["type"] != "Note" || m["id"] != testBase+"/comments/"+itoa(reply.ID) || m["inReplyTo"] != noteURI || m["attributedTo"] != testBase+"/users/alice" {
		t.Errorf("note = %v", m)
	}
	isArray(t, m, 1, "to", "tag")
	isArray(t, m, 2, "cc")
	isArray(t, m, 0, "attachment")
	if cc := m["cc"].([]any); cc[1] != bob.URI {
		t.Errorf("cc = %v, want the mentioned actor", cc)
	}
	tag := m["tag"].([]any)[0].(map[string]any)
	if tag["type"] != "Mention" || tag["href"] != bob.URI || tag["name"] != "@bob@m.example" {
		t.Errorf("mention = %v", tag)
	}
	if c, _ := m["content"].(string); !strings.HasPrefix(c, `<p><span class="h-card"><a href="https://m.example/@bob" class="u-url mention">@<span>bob</span></a></span> Thanks!`) {
		t.Errorf("content = %s", c)
	}
	if dig(m, "contentMap", "en") == nil {
		t.Errorf("contentMap = %v", m["contentMap"])
	}
	if _, err := e.svc.LocalReplyNote(ctx, parent.ID); !models.ErrIsNotFound(err) {
		t.Errorf("a remote comment as a local reply: err = %v", err)
	}
}

func TestForceArraysNested(t *testing.T) {
	m := map[string]any{"to": "x", "object": map[string]any{"cc": "y", "tag": map[string]any{"type": "Hashtag"}}, "orderedItems": []any{map[string]any{"to": "z"}}}
	forceArrays(m)
	b, _ := json.Marshal(m)
	want := `{"object":{"cc":["y"],"tag":[{"type":"Hashtag"}]},"orderedItems":[{"to":["z"]}],"to":["x"]}`
	if string(b) != want {
		t.Errorf("forceArrays = %s, want %s", b, want)
	}
}

func TestHashtagName(t *testing.T) {
	for in, want := range map[string]string{"news": "news", "Asia Pacific": "AsiaPacific", "c++ tips": "cTips", "Été 2012": "Été2012", "---": ""} {
		if got := hashtagName(in); got != want {
			t.Errorf("hashtagName(%q) = %q, want %q", in, got, want)
		}
	}
}

func itoa(n uint) string { return strconv.FormatUint(uint64(n), 10) }
