package handlers

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
)

// repliesWalker fetches a conversation the way Mastodon backfills one
// (app/services/activitypub/fetch_replies_service.rb and the
// FetchAllRepliesWorker that runs it for every status it gets): the
// object's `replies`; its `first` page, embedded or fetched; the page's
// `items` when it is a Collection(Page), `orderedItems` when it is an
// OrderedCollection(Page); the `next` page until there is none; then every
// item is fetched and its own `replies` walked the same way.
type repliesWalker struct {
	t     *testing.T
	get   func(uri string) map[string]any // nil: not served
	seen  map[string]bool
	found []string // item ids, in walk order
	// counted is totalItems of each collection walked and listed what its
	// pages listed.
	counted map[string][2]int
}

func newRepliesWalker(t *testing.T, get func(string) map[string]any) *repliesWalker {
	return &repliesWalker{t: t, get: get, seen: map[string]bool{}, counted: map[string][2]int{}}
}

// walk starts at an object and follows every replies collection.
func (w *repliesWalker) walk(root string) {
	queue := []string{root}
	w.seen[root] = true
	for len(queue) > 0 {
		uri := queue[0]
		queue = queue[1:]
		obj := w.get(uri)
		if obj == nil {
			w.t.Errorf("%s: not served", uri)
			continue
		}
		if id, _ := obj["id"].(string); id != uri {
			w.t.Errorf("GET %s answered the object %q", uri, id)
		}
		for _, item := range w.items(obj["replies"]) {
			if !w.seen[item] {
				w.seen[item] = true
				w.found = append(w.found, item)
				queue = append(queue, item)
			}
		}
	}
}

// items lists a collection's items, page after page.
func (w *repliesWalker) items(collection any) []string {
	c := w.resolve(collection)
	if c == nil {
		return nil
	}
	head, _ := c["id"].(string)
	total, hasTotal := c["totalItems"].(float64)
	if c["first"] != nil {
		c = w.resolve(c["first"])
	}
	var out []string
	for pages := 0; c != nil; pages++ {
		if pages > 100 {
			w.t.Fatalf("%s: more than 100 pages", head)
		}
		var list any
		switch c["type"] {
		case "Collection", "CollectionPage":
			list = c["items"]
		case "OrderedCollection", "OrderedCollectionPage":
			list = c["orderedItems"]
		default:
			w.t.Errorf("%s: a page of type %v", head, c["type"])
		}
		l, _ := list.([]any)
		for _, it := range l {
			switch v := it.(type) {
			case string:
				out = append(out, v)
			case map[string]any:
				id, _ := v["id"].(string)
				out = append(out, id)
			}
		}
		next, _ := c["next"].(string)
		if next == "" {
			break
		}
		c = w.resolve(next)
	}
	if hasTotal {
		w.counted[head] = [2]int{int(total), len(out)}
	}
	return out
}

// resolve is an embedded document, or the one a URI names.
func (w *repliesWalker) resolve(v any) map[string]any {
	switch x := v.(type) {
	case map[string]any:
		return x
	case string:
		return w.get(x)
	}
	return nil
}

// conversationFixture: an article whose conversation started on other
// servers and goes on here and there, with comments that must not show.
type conversationFixture struct {
	ts       *testServer
	art      *models.Article
	want     []string                  // every public comment's ActivityPub id
	remote   map[string]map[string]any // documents the other servers serve
	excluded []string                  // ids of comments that must not be listed
}

const convBase = "http://blog.test"

func newConversationFixture(t *testing.T, store *models.Store) *conversationFixture {
	ts := buildTestServer(t, store, convBase, true)
	ctx := context.Background()
	alice := ts.author("alice")
	art := ts.article(alice, "thread", "A thread", "Talk to me.", time.Now().Add(-24*time.Hour))
	f := &conversationFixture{ts: ts, art: art, remote: map[string]map[string]any{}}
	at := time.Now().Add(-23 * time.Hour)
	actor := func(user, host string) *models.RemoteActor {
		a := &models.RemoteActor{URI: "https://" + host + "/users/" + user, Username: user, Host: host, Name: user,
			Inbox: "https://" + host + "/users/" + user + "/inbox"}
		if err := store.UpsertRemoteActor(ctx, a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	bob, carol, dan := actor("bob", "a.example"), actor("carol", "b.example"), actor("dan", "a.example")
	add := func(in *models.Interaction) *models.Interaction {
		t.Helper()
		at = at.Add(time.Minute)
		in.ArticleID, in.Kind, in.PublishedAt = art.ID, models.KindComment, at
		if in.Status == "" {
			in.Status = models.StatusApproved
		}
		if _, err := store.CreateInteraction(ctx, in); err != nil {
			t.Fatal(err)
		}
		return in
	}
	remote := func(a *models.RemoteActor, note string, parent *models.Interaction) *models.Interaction {
		uri := "https://" + a.Host + "/notes/" + note
		in := &models.Interaction{Source: models.SourceActivityPub, RemoteActorID: &a.ID, ObjectURI: &uri, Content: "<p>" + note + "</p>", Visibility: "public"}
		inReplyTo := convBase + "/articles/" + fedID(art.ID)
		if parent != nil {
			in.ParentID = &parent.ID
			inReplyTo = f.idOf(parent)
		}
		add(in)
		// Served as Misskey does: no replies collection.
		f.remote[uri] = map[string]any{"id": uri, "type": "Note", "attributedTo": a.URI, "inReplyTo": inReplyTo}
		return in
	}
	web := func(name string, parent *models.Interaction, status string) *models.Interaction {
		in := &models.Interaction{Source: models.SourceWeb, AuthorName: name, AuthorEmail: name + "@example.org", Content: "<p>by " + name + "</p>", Status: status}
		if parent != nil {
			in.ParentID = &parent.ID
		}
		return add(in)
	}
	// Started on another server, answered on a third, by the author, by
	// visitors, and by the first server again under a visitor's comment.
	r1 := remote(bob, "r1", nil)
	r2 := remote(carol, "r2", r1)
	l1 := add(&models.Interaction{Source: models.SourceLocal, LocalAuthorID: &alice.ID, ParentID: &r2.ID, Content: "<p>the author</p>"})
	w1 := web("vera", l1, "")
	w2 := web("walt", r1, "")
	r3 := remote(dan, "r3", w2)
	// r1's server lists r2 as Mastodon would (other accounts' replies).
	f.remote[*r1.ObjectURI]["replies"] = map[string]any{"id": *r1.ObjectURI + "/replies", "type": "Collection",
		"first": map[string]any{"type": "CollectionPage", "partOf": *r1.ObjectURI + "/replies", "items": []any{*r2.ObjectURI}}}
	// Not public: held, removed, spam, a direct message; a public answer
	// to the held one still counts.
	held := web("held", nil, models.StatusPending)
	gone := web("gone", w1, models.StatusRemoved)
	spam := web("spam", nil, models.StatusSpam)
	dmURI := "https://a.example/notes/dm"
	dm := add(&models.Interaction{Source: models.SourceActivityPub, RemoteActorID: &bob.ID, ObjectURI: &dmURI, Status: models.StatusPrivate, Visibility: "direct"})
	w3 := web("wanda", held, "")
	if _, err := store.CreateInteraction(ctx, &models.Interaction{ArticleID: art.ID, Kind: models.KindLike, Source: models.SourceActivityPub, Status: models.StatusApproved}); err != nil {
		t.Fatal(err)
	}
	for _, in := range []*models.Interaction{r1, r2, l1, w1, w2, r3, w3} {
		f.want = append(f.want, f.idOf(in))
	}
	// More than a page of answers to the article.
	for i := range 24 {
		f.want = append(f.want, f.idOf(web(fmt.Sprintf("reader%d", i), nil, "")))
	}
	for _, in := range []*models.Interaction{held, gone, spam, dm} {
		f.excluded = append(f.excluded, f.idOf(in))
	}
	return f
}

func (f *conversationFixture) idOf(in *models.Interaction) string {
	if in.Source == models.SourceActivityPub {
		return *in.ObjectURI
	}
	return convBase + "/comments/" + fedID(in.ID)
}

// get serves our documents through the router, the other servers' from
// the fixture.
func (f *conversationFixture) get(t *testing.T) func(string) map[string]any {
	return func(uri string) map[string]any {
		if d, ok := f.remote[uri]; ok {
			return d
		}
		path, ok := strings.CutPrefix(uri, convBase)
		if !ok {
			return nil
		}
		rec := f.ts.as2(path)
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, rec.Code, rec.Body)
			return nil
		}
		return jsonBody(t, rec)
	}
}

// TestRepliesBackfill walks the article's replies as Mastodon does and
// finds every public comment of a thread started on other servers, each
// once; every collection counts what its pages list; the context
// collection lists the article and the same comments.
func TestRepliesBackfill(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, store *models.Store) {
		f := newConversationFixture(t, store)
		articleID := convBase + "/articles/" + fedID(f.art.ID)
		w := newRepliesWalker(t, f.get(t))
		w.walk(articleID)

		got := slices.Sorted(slices.Values(w.found))
		want := slices.Sorted(slices.Values(f.want))
		if !slices.Equal(got, want) {
			t.Errorf("the walk found %d comments, want %d\nfound: %v\nwant:  %v", len(got), len(want), got, want)
		}
		for _, x := range f.excluded {
			if w.seen[x] {
				t.Errorf("listed %s, which is not public", x)
			}
		}
		if len(w.counted) < 3 {
			t.Errorf("walked %d collections with a count, want the article's and our comments'", len(w.counted))
		}
		for id, c := range w.counted {
			if c[0] != c[1] {
				t.Errorf("%s: totalItems %d, its pages list %d", id, c[0], c[1])
			}
		}
		// The article's own replies take two pages.
		head := f.get(t)(articleID + "/replies")
		if first, _ := head["first"].(map[string]any); first == nil || first["next"] != articleID+"/replies?page=2" || first["partOf"] != articleID+"/replies" {
			t.Errorf("replies head: first page %v", head["first"])
		}

		// Context: the article, then every comment, oldest first.
		ctxItems := newRepliesWalker(t, f.get(t)).items(articleID + "/context")
		if len(ctxItems) != len(f.want)+1 || ctxItems[0] != articleID {
			t.Fatalf("context lists %d items (first %v), want the article and %d comments", len(ctxItems), ctxItems[:min(1, len(ctxItems))], len(f.want))
		}
		if got := slices.Sorted(slices.Values(ctxItems[1:])); !slices.Equal(got, want) {
			t.Errorf("context items %v, want %v", got, want)
		}
	})
}

// TestCommentObjects: a visitor's comment is a Note of the blog actor
// naming the visitor (never their e-mail), answering what it answers, in
// the article's context, with its own replies; a comment not public has
// no object.
func TestCommentObjects(t *testing.T) {
	f := newConversationFixture(t, modelstest.SQLite(t))
	get := f.get(t)
	var vera, held string
	for _, id := range f.want {
		if d := get(id); d != nil && strings.Contains(fmt.Sprint(d["content"]), "vera") {
			vera = id
		}
	}
	held = f.excluded[0]
	d := get(vera)
	if d == nil {
		t.Fatal("vera's comment not served")
	}
	if d["type"] != "Note" || d["attributedTo"] != convBase+"/users/blog" || d["context"] != convBase+"/articles/"+fedID(f.art.ID)+"/context" {
		t.Errorf("web comment object %v", d)
	}
	content, _ := d["content"].(string)
	if !strings.Contains(content, "Comment by vera") || strings.Contains(content, "@example.org") {
		t.Errorf("content %q", content)
	}
	if irt, _ := d["inReplyTo"].(string); !strings.Contains(irt, "/comments/") {
		t.Errorf("inReplyTo %q, want the author's answer it answers", irt)
	}
	if field(d, "replies", "type") != "OrderedCollection" || field(d, "replies", "first", "type") != "OrderedCollectionPage" {
		t.Errorf("replies %v", d["replies"])
	}
	path := strings.TrimPrefix(held, convBase)
	if rec := f.ts.as2(path); rec.Code != http.StatusNotFound {
		t.Errorf("held comment: %d", rec.Code)
	}
	if rec := f.ts.as2(path + "/replies"); rec.Code != http.StatusNotFound {
		t.Errorf("held comment's replies: %d", rec.Code)
	}
	if rec := f.ts.as2("/articles/" + fedID(f.art.ID) + "/replies?page=3"); rec.Code != http.StatusNotFound {
		t.Errorf("page past the end: %d", rec.Code)
	}
}
