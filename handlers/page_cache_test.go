package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fedpress/models"
)

func TestPageCacheInvalidatedByChanges(t *testing.T) {
	ts := newTestServer(t)
	a := ts.author("alice")
	art := ts.article(a, "storm", "Storm hits the coast", "Rain.", time.Date(2012, 11, 17, 9, 0, 0, 0, time.UTC))
	path := art.Permalink()
	steps := []struct {
		name   string
		change func()
		cache  string
		want   string
	}{
		{"first view renders", nil, "miss", "Storm hits the coast"},
		{"second view is a hit", nil, "hit", "Storm hits the coast"},
		{"an approved comment invalidates", func() {
			in := &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceWeb,
				Status: models.StatusApproved, AuthorName: "Reader", Content: "<p>Cached no more</p>"}
			if _, err := ts.Store.CreateInteraction(context.Background(), in); err != nil {
				t.Fatal(err)
			}
		}, "miss", "Cached no more"},
		{"then cached again", nil, "hit", "Cached no more"},
		{"an edit invalidates", func() {
			in := models.ArticleInput{Title: "Storm leaves the coast", Slug: art.Slug, HTML: "<p>Sun.</p>", Status: models.StatusPublished, PublishedAt: art.PublishedAt, AuthorID: a.ID}
			if _, err := ts.Store.SaveArticle(context.Background(), art.ID, in); err != nil {
				t.Fatal(err)
			}
		}, "miss", "Storm leaves the coast"},
	}
	for _, st := range steps {
		if st.change != nil {
			st.change()
		}
		rec := ts.get(path)
		if rec.Code != 200 || rec.Header().Get("X-Cache") != st.cache || !strings.Contains(rec.Body.String(), st.want) {
			t.Fatalf("%s: %d X-Cache=%q, body has %q: %v", st.name, rec.Code, rec.Header().Get("X-Cache"), st.want, strings.Contains(rec.Body.String(), st.want))
		}
	}
	// Logged-in authors and ActivityPub clients bypass the cache.
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "x"})
	if rec := ts.do(req); rec.Header().Get("X-Cache") != "" {
		t.Fatalf("session request went through the cache: %q", rec.Header().Get("X-Cache"))
	}
	// HEAD is answered like GET.
	if rec := ts.do(httptest.NewRequest(http.MethodHead, path, nil)); rec.Code != http.StatusOK {
		t.Fatalf("HEAD = %d", rec.Code)
	}
}

func TestPageCacheRevalidatesFeeds(t *testing.T) {
	ts := newTestServer(t)
	a := ts.author("alice")
	ts.article(a, "storm", "Storm", "Rain.", time.Date(2012, 11, 17, 9, 0, 0, 0, time.UTC))
	first := ts.get("/feed.xml")
	etag := first.Header().Get("ETag")
	if etag == "" {
		t.Skip("feed sends no ETag")
	}
	ts.get("/feed.xml") // now cached
	rec := ts.get("/feed.xml", "If-None-Match", etag)
	if rec.Code != http.StatusNotModified || rec.Header().Get("X-Cache") != "hit" {
		t.Fatalf("cached feed with matching ETag = %d %q", rec.Code, rec.Header().Get("X-Cache"))
	}
}

// TestPageCacheActivityPub: AS2 documents are cached apart from the HTML
// at the same URL, invalidated like pages, and never served from the
// cache while authorized fetch requires a signature.
func TestPageCacheActivityPub(t *testing.T) {
	ts := newTestServer(t)
	alice := ts.author("alice")
	art := ts.article(alice, "storm", "Storm hits the coast", "Rain.", time.Now().UTC().Add(-time.Hour))
	object := "/articles/" + fedID(art.ID)
	type fetch struct {
		path, accept string
		code         int
		cache, want  string
	}
	steps := []struct {
		name   string
		change func()
		fetch  fetch
	}{
		{"object renders", nil, fetch{object, as2Accept, 200, "miss", `<strong>Storm hits the coast</strong>`}},
		{"object is a hit", nil, fetch{object, as2Accept, 200, "hit", `<strong>Storm hits the coast</strong>`}},
		{"permalink AS2 is its own entry", nil, fetch{art.Permalink(), as2Accept, 200, "miss", `"type":"`}},
		{"permalink HTML is not the AS2 entry", nil, fetch{art.Permalink(), "text/html", 200, "miss", "<html"}},
		{"permalink AS2 hit", nil, fetch{art.Permalink(), as2Accept, 200, "hit", `"type":"`}},
		{"actor is cached", nil, fetch{"/users/alice", as2Accept, 200, "miss", `"preferredUsername":"alice"`}},
		{"actor hit", nil, fetch{"/users/alice", as2Accept, 200, "hit", `"preferredUsername":"alice"`}},
		{"an edit invalidates the object", func() {
			in := models.ArticleInput{Title: "Storm leaves the coast", Slug: art.Slug, HTML: "<p>Sun.</p>", Status: models.StatusPublished, PublishedAt: art.PublishedAt, AuthorID: alice.ID}
			if _, err := ts.Store.SaveArticle(context.Background(), art.ID, in); err != nil {
				t.Fatal(err)
			}
		}, fetch{object, as2Accept, 200, "miss", `<strong>Storm leaves the coast</strong>`}},
		{"browsers are redirected, not served the cached JSON", nil, fetch{object, "text/html", 302, "miss", ""}},
		{"authorized fetch on: unsigned object refused", func() { ts.setAuthorizedFetch(true) }, fetch{object, as2Accept, 401, "", ""}},
		{"authorized fetch on: unsigned actor is key-only", nil, fetch{"/users/alice", as2Accept, 200, "", `"publicKey"`}},
		{"authorized fetch off again", func() { ts.setAuthorizedFetch(false) }, fetch{object, as2Accept, 200, "miss", `<strong>Storm leaves the coast</strong>`}},
	}
	for _, st := range steps {
		if st.change != nil {
			st.change()
		}
		f := st.fetch
		rec := ts.get(f.path, "Accept", f.accept)
		body := rec.Body.String()
		if rec.Code != f.code || rec.Header().Get("X-Cache") != f.cache || !strings.Contains(body, f.want) {
			t.Fatalf("%s: GET %s = %d X-Cache=%q, want %d %q containing %q\n%s", st.name, f.path, rec.Code, rec.Header().Get("X-Cache"), f.code, f.cache, f.want, excerptOf(body))
		}
		if f.code == 200 && f.accept == as2Accept && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/activity+json") {
			t.Fatalf("%s: Content-Type %q", st.name, rec.Header().Get("Content-Type"))
		}
	}
	if m := jsonBody(t, ts.as2("/users/alice")); m["name"] == nil {
		t.Errorf("the key-only actor was cached: %v", m)
	}
}

func excerptOf(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
