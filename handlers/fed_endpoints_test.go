package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"fedpress/federation"
	"fedpress/models"
)

func TestWebFinger(t *testing.T) {
	ts := newTestServer(t)
	ts.author("alice")
	tests := []struct {
		resource string
		status   int
		subject  string
		self     string
	}{
		{"acct:alice@blog.test", 200, "acct:alice@blog.test", "http://blog.test/users/alice"},
		{"acct:ALICE@Blog.Test", 200, "acct:alice@blog.test", "http://blog.test/users/alice"},
		{"alice@blog.test", 200, "acct:alice@blog.test", "http://blog.test/users/alice"},
		{"acct:@alice@blog.test", 200, "acct:alice@blog.test", "http://blog.test/users/alice"},
		{"http://blog.test/users/alice", 200, "acct:alice@blog.test", "http://blog.test/users/alice"},
		{"http://blog.test/@alice/", 200, "acct:alice@blog.test", "http://blog.test/users/alice"},
		{"acct:blog@blog.test", 200, "acct:blog@blog.test", "http://blog.test/users/blog"},
		{"acct:blog.test@blog.test", 200, "acct:blog.test@blog.test", "http://blog.test/actor"},
		{"acct:nobody@blog.test", 404, "", ""},
		{"acct:alice@elsewhere.example", 404, "", ""},
		{"https://elsewhere.example/users/alice", 404, "", ""},
		{"http://blog.test/2012/11/post/", 404, "", ""},
		{"acct:alice", 400, "", ""},
		{"", 400, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.resource, func(t *testing.T) {
			rec := ts.get("/.well-known/webfinger?resource=" + strings.ReplaceAll(tc.resource, "@", "%40"))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if rec.Header().Get("Access-Control-Allow-Origin") != "*" {
				t.Error("no CORS header")
			}
			if tc.status != 200 {
				return
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/jrd+json") {
				t.Errorf("content type %q", ct)
			}
			m := jsonBody(t, rec)
			if m["subject"] != tc.subject {
				t.Errorf("subject %v", m["subject"])
			}
			rels := map[string]map[string]any{}
			for _, l := range m["links"].([]any) {
				lm := l.(map[string]any)
				rels[lm["rel"].(string)] = lm
			}
			if rels["self"]["href"] != tc.self || rels["self"]["type"] != "application/activity+json" {
				t.Errorf("self link %v", rels["self"])
			}
			if tc.self != "http://blog.test/actor" {
				if rels["http://webfinger.net/rel/profile-page"]["href"] == nil {
					t.Errorf("no profile page link: %v", m["links"])
				}
				if rels["http://ostatus.org/schema/1.0/subscribe"]["template"] != "http://blog.test/authorize_interaction?uri={uri}" {
					t.Errorf("subscribe link %v", rels["http://ostatus.org/schema/1.0/subscribe"])
				}
			}
		})
	}
}

func TestHostMetaAndNodeInfo(t *testing.T) {
	ts := newTestServer(t)
	ts.Cfg.Version = "1.2.3"
	alice, bob := ts.author("alice"), ts.author("bob")
	ts.author("carol")
	now := time.Now().UTC()
	ts.article(alice, "recent", "Recent", "x", now.Add(-10*24*time.Hour))
	ts.article(bob, "older", "Older", "x", now.Add(-100*24*time.Hour))
	ts.article(bob, "later", "Later", "x", now.Add(24*time.Hour))

	rec := ts.get("/.well-known/host-meta")
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/xrd+xml") ||
		!strings.Contains(rec.Body.String(), `<Link rel="lrdd" template="http://blog.test/.well-known/webfinger?resource={uri}"/>`) {
		t.Errorf("host-meta: %d %s\n%s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	for _, r := range []*http.Request{newGet("/.well-known/host-meta.json", ""), newGet("/.well-known/host-meta", "application/json")} {
		rec := ts.do(r)
		m := jsonBody(t, rec)
		if field(m["links"].([]any)[0], "template") != "http://blog.test/.well-known/webfinger?resource={uri}" {
			t.Errorf("%s: %v", r.URL, m)
		}
	}

	m := jsonBody(t, ts.get("/.well-known/nodeinfo"))
	links := m["links"].([]any)
	if len(links) != 2 || field(links[0], "href") != "http://blog.test/nodeinfo/2.0" || field(links[1], "rel") != "http://nodeinfo.diaspora.software/ns/schema/2.1" {
		t.Errorf("nodeinfo links %v", links)
	}
	for _, v := range []string{"2.0", "2.1"} {
		rec := ts.get("/nodeinfo/" + v)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/`+v+`#"` {
			t.Fatalf("nodeinfo %s: %d %s", v, rec.Code, rec.Header().Get("Content-Type"))
		}
		m := jsonBody(t, rec)
		if m["version"] != v || field(m, "software", "name") != "fedpress" || field(m, "software", "version") != "1.2.3" ||
			m["openRegistrations"] != false || m["protocols"].([]any)[0] != "activitypub" || field(m, "metadata", "nodeName") == nil {
			t.Errorf("nodeinfo %s: %v", v, m)
		}
		users := field(m, "usage", "users")
		if field(users, "total") != 3.0 || field(users, "activeMonth") != 1.0 || field(users, "activeHalfyear") != 2.0 || field(m, "usage", "localPosts") != 2.0 {
			t.Errorf("usage %v", m["usage"])
		}
	}
	if rec := ts.get("/nodeinfo/3.0"); rec.Code != 404 {
		t.Errorf("nodeinfo 3.0: %d", rec.Code)
	}
}

func newGet(path, accept string) *http.Request {
	r, _ := http.NewRequest(http.MethodGet, path, nil)
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	return r
}

func TestActorContentNegotiation(t *testing.T) {
	ts := newTestServer(t)
	ts.author("alice")
	tests := []struct {
		path, accept string
		status       int
		location     string
	}{
		{"/users/alice", "application/activity+json", 200, ""},
		{"/users/alice", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, 200, ""},
		{"/users/alice", "text/html,application/xhtml+xml", 302, "/@alice/"},
		{"/users/alice", "", 302, "/@alice/"},
		{"/users/blog", "application/activity+json", 200, ""},
		{"/users/nobody", "application/activity+json", 404, ""},
		{"/actor", "application/activity+json", 200, ""},
		{"/@alice/", "application/activity+json", 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.path+" "+tc.accept, func(t *testing.T) {
			rec := ts.do(newGet(tc.path, tc.accept))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d\n%s", rec.Code, tc.status, rec.Body)
			}
			if tc.status != 404 && !strings.Contains(strings.Join(rec.Header().Values("Vary"), ","), "Accept") {
				t.Errorf("Vary = %v", rec.Header().Values("Vary"))
			}
			if tc.location != "" && rec.Header().Get("Location") != tc.location {
				t.Errorf("Location %q", rec.Header().Get("Location"))
			}
			if tc.status == 200 {
				if ct := rec.Header().Get("Content-Type"); ct != "application/activity+json; charset=utf-8" {
					t.Errorf("content type %q", ct)
				}
				m := jsonBody(t, rec)
				if m["type"] != "Person" && m["type"] != "Application" {
					t.Errorf("type %v", m["type"])
				}
			}
		})
	}
}

func TestArticleObjectEndpoints(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	alice := ts.author("alice")
	now := time.Now().UTC()
	art := ts.article(alice, "hello", "Hello", "Some *text*.", now.Add(-time.Hour), "News")
	later := ts.article(alice, "later", "Later", "x", now.Add(time.Hour))
	gone := ts.article(alice, "gone", "Gone", "x", now.Add(-time.Hour))
	if err := ts.Store.DeleteArticle(ctx, gone.ID, now); err != nil {
		t.Fatal(err)
	}
	ts.Now = func() time.Time { return time.Now().UTC() }
	id := fedID(art.ID)
	uri := "https://m.example/statuses/1"
	ra := ts.remoteFollower("alice", "https://m.example/users/bob", "https://m.example/users/bob/inbox", "")
	remote := &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceActivityPub, Status: models.StatusApproved, ObjectURI: &uri, RemoteActorID: &ra.ID, Content: "<p>hi</p>"}
	web := &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceWeb, Status: models.StatusApproved, AuthorName: "Visitor", Content: "<p>yo</p>"}
	like := &models.Interaction{ArticleID: art.ID, Kind: models.KindLike, Source: models.SourceActivityPub, Status: models.StatusApproved}
	for _, in := range []*models.Interaction{remote, web, like} {
		if _, err := ts.Store.CreateInteraction(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	reply := &models.Interaction{ArticleID: art.ID, ParentID: &remote.ID, Kind: models.KindComment, Source: models.SourceLocal, Status: models.StatusApproved, LocalAuthorID: &alice.ID, Content: "<p>thanks</p>"}
	if _, err := ts.Store.CreateInteraction(ctx, reply); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, path, accept string
		status             int
		location, typ      string
	}{
		{"object", "/articles/" + id, as2Accept, 200, "", "Note"},
		{"object for a browser", "/articles/" + id, "text/html", 302, art.Permalink(), ""},
		{"permalink as AS2", art.Permalink(), `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, 200, "", "Note"},
		{"scheduled", "/articles/" + fedID(later.ID), as2Accept, 404, "", ""},
		{"deleted", "/articles/" + fedID(gone.ID), as2Accept, 410, "", "Tombstone"},
		{"deleted for a browser", "/articles/" + fedID(gone.ID), "text/html", 410, "", ""},
		{"unknown", "/articles/999", as2Accept, 404, "", ""},
		{"replies", "/articles/" + id + "/replies", as2Accept, 200, "", "OrderedCollection"},
		{"likes", "/articles/" + id + "/likes", as2Accept, 200, "", "Collection"},
		{"shares", "/articles/" + id + "/shares", as2Accept, 200, "", "Collection"},
		{"context", "/articles/" + id + "/context", as2Accept, 200, "", "OrderedCollection"},
		{"bad collection", "/articles/" + id + "/bogus", as2Accept, 404, "", ""},
		{"local reply", "/comments/" + fedID(reply.ID), as2Accept, 200, "", "Note"},
		{"remote comment", "/comments/" + fedID(remote.ID), as2Accept, 302, uri, ""},
		{"web comment", "/comments/" + fedID(web.ID), as2Accept, 200, "", "Note"},
		{"comment for a browser", "/comments/" + fedID(web.ID), "text/html", 302, art.Permalink() + "#comment-" + fedID(web.ID), ""},
		{"create activity", "/activities/create/" + id + "/" + versionOf(art.PublishedAt), as2Accept, 200, "", "Create"},
		{"announce activity", "/activities/announce/" + id + "/" + versionOf(art.PublishedAt), as2Accept, 200, "", "Announce"},
		{"old version", "/activities/create/" + id + "/12345", as2Accept, 404, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := ts.do(newGet(tc.path, tc.accept))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d\n%s", rec.Code, tc.status, rec.Body)
			}
			if tc.location != "" && rec.Header().Get("Location") != tc.location {
				t.Errorf("Location %q, want %q", rec.Header().Get("Location"), tc.location)
			}
			if tc.typ == "" {
				return
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/activity+json; charset=utf-8" {
				t.Errorf("content type %q", ct)
			}
			m := jsonBody(t, rec)
			if m["type"] != tc.typ {
				t.Errorf("type %v, want %s", m["type"], tc.typ)
			}
			switch tc.name {
			case "object", "permalink as AS2":
				if m["id"] != "http://blog.test/articles/"+id || field(m, "replies", "totalItems") != 3.0 || field(m, "likes", "totalItems") != 1.0 {
					t.Errorf("object %v replies %v likes %v", m["id"], m["replies"], m["likes"])
				}
			case "replies":
				// The author's answer to a remote comment is listed here too:
				// the remote server cannot list it (vocab_out_conversation.go).
				items, _ := field(m, "first", "orderedItems").([]any)
				if m["totalItems"] != 3.0 || len(items) != 3 || items[0] != uri || items[1] != "http://blog.test/comments/"+fedID(web.ID) ||
					items[2] != "http://blog.test/comments/"+fedID(reply.ID) {
					t.Errorf("replies %v", m)
				}
			case "context":
				items, _ := field(m, "first", "orderedItems").([]any)
				if m["totalItems"] != 4.0 || len(items) != 4 || items[0] != "http://blog.test/articles/"+id || items[3] != "http://blog.test/comments/"+fedID(reply.ID) {
					t.Errorf("context %v", m)
				}
			case "web comment":
				if m["attributedTo"] != "http://blog.test/users/blog" || m["inReplyTo"] != "http://blog.test/articles/"+id {
					t.Errorf("web comment %v", m)
				}
			case "likes":
				if m["totalItems"] != 1.0 {
					t.Errorf("likes %v", m)
				}
			case "local reply":
				if m["inReplyTo"] != uri || m["attributedTo"] != "http://blog.test/users/alice" {
					t.Errorf("reply %v", m)
				}
			case "deleted":
				if m["formerType"] != "Note" {
					t.Errorf("tombstone %v", m)
				}
			case "create activity":
				if field(m, "object", "type") != "Note" || m["actor"] != "http://blog.test/users/alice" {
					t.Errorf("create %v", m)
				}
			}
		})
	}
}

func versionOf(t *time.Time) string { return strconv.FormatInt(t.UnixNano(), 10) }

func TestActorCollections(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	alice := ts.author("alice")
	now := time.Now().UTC()
	for i, slug := range []string{"a", "b", "c"} {
		ts.article(alice, slug, "T "+slug, "x", now.Add(-time.Duration(i+1)*time.Hour))
	}
	pinned := ts.article(alice, "pinned", "Pinned", "x", now.Add(-5*time.Hour))
	pinned.Pinned = true
	if _, err := ts.Store.SaveArticle(ctx, pinned.ID, models.ArticleInput{Title: pinned.Title, Slug: pinned.Slug, HTML: pinned.HTML,
		Status: pinned.Status, PublishedAt: pinned.PublishedAt, AuthorID: alice.ID, Pinned: true}); err != nil {
		t.Fatal(err)
	}
	ts.remoteFollower("alice", "https://m.example/users/bob", "https://m.example/users/bob/inbox", "https://m.example/inbox")
	ts.remoteFollower("blog", "https://m.example/users/cy", "https://m.example/users/cy/inbox", "https://m.example/inbox")

	m := jsonBody(t, ts.as2("/users/alice/outbox"))
	if m["type"] != "OrderedCollection" || m["totalItems"] != 4.0 || m["first"] != "http://blog.test/users/alice/outbox?page=1" || m["last"] != "http://blog.test/users/alice/outbox?page=1" {
		t.Errorf("outbox %v", m)
	}
	m = jsonBody(t, ts.as2("/users/alice/outbox?page=1"))
	items, _ := m["orderedItems"].([]any)
	if m["type"] != "OrderedCollectionPage" || m["partOf"] != "http://blog.test/users/alice/outbox" || len(items) != 4 ||
		field(items[0], "type") != "Create" || !strings.HasPrefix(fmt.Sprint(field(items[0], "object", "content")), "<p><strong>T a</strong></p>") || field(items[0], "object", "@context") != nil {
		t.Errorf("outbox page %v", m)
	}
	if rec := ts.as2("/users/alice/outbox?page=2"); rec.Code != 404 {
		t.Errorf("page past the end: %d", rec.Code)
	}
	m = jsonBody(t, ts.as2("/users/blog/outbox?page=true"))
	if items, _ := m["orderedItems"].([]any); len(items) != 4 || field(items[0], "type") != "Announce" {
		t.Errorf("blog outbox %v", m)
	}
	m = jsonBody(t, ts.as2("/users/alice/followers"))
	if m["totalItems"] != 1.0 {
		t.Errorf("followers %v", m)
	}
	m = jsonBody(t, ts.as2("/users/alice/followers?page=1"))
	if items, _ := m["orderedItems"].([]any); len(items) != 1 || items[0] != "https://m.example/users/bob" {
		t.Errorf("followers page %v", m)
	}
	m = jsonBody(t, ts.as2("/users/alice/following"))
	if m["totalItems"] != 0.0 || len(m["orderedItems"].([]any)) != 0 {
		t.Errorf("following %v", m)
	}
	m = jsonBody(t, ts.as2("/users/alice/featured"))
	if items, _ := m["orderedItems"].([]any); len(items) != 1 || !strings.HasPrefix(fmt.Sprint(field(items[0], "content")), "<p><strong>Pinned</strong></p>") {
		t.Errorf("featured %v", m)
	}
	if rec := ts.as2("/users/nobody/followers"); rec.Code != 404 {
		t.Errorf("followers of nobody: %d", rec.Code)
	}
}

func TestAuthorizedFetch(t *testing.T) {
	ts := newTestServer(t)
	alice := ts.author("alice")
	art := ts.article(alice, "hello", "Hello", "x", time.Now().UTC().Add(-time.Hour))
	ts.setAuthorizedFetch(true)
	rec := ts.as2("/articles/" + fedID(art.ID))
	if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("unsigned object fetch: %d %v", rec.Code, rec.Header())
	}
	if rec := ts.as2(art.Permalink()); rec.Code != 401 {
		t.Errorf("unsigned permalink fetch: %d", rec.Code)
	}
	for _, p := range []string{"/users/alice/outbox", "/users/alice/followers", "/articles/" + fedID(art.ID) + "/replies"} {
		if rec := ts.as2(p); rec.Code != 401 {
			t.Errorf("unsigned %s: %d", p, rec.Code)
		}
	}
	m := jsonBody(t, ts.as2("/users/alice"))
	if field(m, "publicKey", "publicKeyPem") == nil || m["name"] != nil || m["outbox"] == nil {
		t.Errorf("unsigned actor fetch should be key-only: %v", m)
	}
	m = jsonBody(t, ts.as2("/actor"))
	if m["type"] != "Application" || m["name"] == nil {
		t.Errorf("instance actor %v", m)
	}
	if rec := ts.get("/.well-known/webfinger?resource=acct:alice%40blog.test"); rec.Code != 200 {
		t.Errorf("webfinger under authorized fetch: %d", rec.Code)
	}
	ts.setAuthorizedFetch(false)
	if rec := ts.as2("/articles/" + fedID(art.ID)); rec.Code != 200 {
		t.Errorf("with authorized fetch off: %d", rec.Code)
	}
}

func TestDeliveriesPage(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ad := ts.newAdmin("alice")
	art := ts.article(ad.author, "hello", "Hello", "x", time.Now().UTC().Add(-time.Hour))
	for _, h := range []string{"a", "b", "c"} {
		ts.remoteFollower("alice", "https://"+h+".example/users/x", "https://"+h+".example/users/x/inbox", "https://"+h+".example/inbox")
	}
	if err := ts.Fed.ArticleSaved(ctx, art.ID); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	rows, err := ts.Store.ClaimDeliveries(ctx, models.DeliveryClaim{Holder: "t", Now: now, StaleBefore: now, Limit: 10, PerHost: 10})
	if err != nil || len(rows) != 3 {
		t.Fatalf("claim: %v %v", rows, err)
	}
	if _, err := ts.Store.MarkDelivered(ctx, "t", []uint{rows[0].ID}, 202, now); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Store.FinishDelivery(ctx, "t", models.DeliveryOutcome{ID: rows[1].ID, Attempts: 1, Status: models.DeliveryFailed, LastStatus: 404, LastError: "HTTP 404 no such inbox", At: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Store.FinishDelivery(ctx, "t", models.DeliveryOutcome{ID: rows[2].ID, Attempts: 2, Status: models.DeliveryPending, NextAttemptAt: now.Add(time.Hour), LastStatus: 503, LastError: "HTTP 503 busy", At: now}); err != nil {
		t.Fatal(err)
	}
	rec := ad.get("/admin/articles/" + fedID(art.ID) + "/deliveries/")
	if rec.Code != 200 {
		t.Fatalf("deliveries page: %d\n%s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	for _, want := range []string{"Delivered to 1 of 3 inboxes", "1 retrying", "1 failed", "HTTP 404 no such inbox", "HTTP 503 busy", rows[1].Inbox, "Create"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if rec := ad.get("/admin/articles/999/deliveries/"); rec.Code != 404 {
		t.Errorf("unknown article: %d", rec.Code)
	}
	if rec := ts.get("/admin/articles/" + fedID(art.ID) + "/deliveries/"); rec.Code == 200 {
		t.Error("deliveries page without login")
	}
}

func TestAuthorizedFetchSigned(t *testing.T) {
	ts := newTestServer(t)
	alice := ts.author("alice")
	art := ts.article(alice, "hello", "Hello", "x", time.Now().UTC().Add(-time.Hour))
	ts.setAuthorizedFetch(true)
	// A remote server whose actor publishes the key that signs the fetch.
	priv, pub, err := federation.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	var actorURL string
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		fmt.Fprintf(w, `{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"],"id":%q,"type":"Person","preferredUsername":"fetcher","inbox":%q,"publicKey":{"id":%q,"owner":%q,"publicKeyPem":%q}}`,
			actorURL, actorURL+"/inbox", actorURL+"#main-key", actorURL, pub)
	}))
	defer remote.Close()
	actorURL = remote.URL + "/users/fetcher"
	key, err := federation.ParsePrivateKeyPEM(priv)
	if err != nil {
		t.Fatal(err)
	}
	signed := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "http://blog.test"+path, nil)
		req.Header.Set("Accept", as2Accept)
		if err := (federation.Signer{KeyID: actorURL + "#main-key", Key: key}).SignRequest(req, nil); err != nil {
			t.Fatal(err)
		}
		return ts.do(req)
	}
	if rec := signed("/articles/" + fedID(art.ID)); rec.Code != 200 || jsonBody(t, rec)["type"] != "Note" {
		t.Fatalf("signed fetch: %d\n%s", rec.Code, rec.Body)
	}
	if rec := signed("/users/alice"); rec.Code != 200 || jsonBody(t, rec)["name"] != "Alice" {
		t.Errorf("signed actor fetch should be complete: %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(strings.Join(signed("/users/alice/outbox").Header().Values("Vary"), ","), "Signature") {
		t.Error("no Vary: Signature under authorized fetch")
	}
	// A blocked server's signature opens nothing.
	if _, _, err := ts.Store.CreateBlock(context.Background(), models.BlockDomain, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if rec := signed("/articles/" + fedID(art.ID)); rec.Code != 403 {
		t.Errorf("blocked signer: %d", rec.Code)
	}
}
