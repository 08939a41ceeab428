package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"fedpress/models"
)

// getWith is a GET carrying cookies.
func (ts *testServer) getWith(path string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return ts.do(req)
}

func TestHeldCommentShownToItsPoster(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	const page, action = "/2012/11/hello-world/", "/2012/11/hello-world/comments"

	// Another reader's visit fills the page cache first.
	pubStatus(t, f.get(page), http.StatusOK)

	rec := f.postForm(action, commentValues("content", "My held words"))
	pubStatus(t, rec, http.StatusSeeOther)
	held := cookieNamed(rec, heldCookie)
	if held == nil || !held.HttpOnly || held.MaxAge <= 0 || held.Path != "/" {
		t.Fatalf("held cookie %+v", held)
	}
	mine := f.storedComments()[0]
	if mine.Status != models.StatusPending {
		t.Fatalf("comment status %q", mine.Status)
	}

	// The poster sees it, marked, on a page no cache keeps.
	rec = f.getWith(page, held)
	pubStatus(t, rec, http.StatusOK)
	pubHas(t, rec, `class="comment depth-1 comment-held"`, "Your comment is awaiting moderation.", "My held words", "Your comment on “")
	pubLacks(t, rec, "replytocom="+itoa(mine.ID)) // no answers to a held comment
	if cc := rec.Header().Get("Cache-Control"); cc != "private, no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
	if rec.Header().Get("X-Cache") == "hit" {
		t.Error("the poster got the cached page")
	}

	// Nobody else does, before or after, cached or not.
	for i := 0; i < 2; i++ {
		rec = f.get(page)
		pubStatus(t, rec, http.StatusOK)
		pubLacks(t, rec, "My held words", "comment-held")
	}

	// Another visitor's held comment stays hidden from the first, and a
	// cookie edited to name it fails its signature.
	other := f.postForm(action, commentValues("email", "other@example.com", "content", "Someone elses words"))
	pubStatus(t, other, http.StatusSeeOther)
	theirs := f.storedComments()[1]
	pubLacks(t, f.getWith(page, held), "Someone elses words")
	forged := *held
	forged.Value = itoa(theirs.ID) + held.Value[strings.IndexByte(held.Value, '.'):]
	rec = f.getWith(page, &forged)
	pubLacks(t, rec, "Someone elses words", "My held words")

	// A second held comment joins the first in the cookie.
	rec = f.postForm(action, commentValues("content", "Held again"), held)
	both := cookieNamed(rec, heldCookie)
	pubHas(t, f.getWith(page, both), "My held words", "Held again")

	// Once approved it shows for everyone, unmarked.
	if err := f.Store.SetInteractionStatus(context.Background(), mine.ID, models.StatusApproved); err != nil {
		t.Fatal(err)
	}
	pubHas(t, f.get(page), "My held words")
	rec = f.getWith(page, both)
	pubHas(t, rec, `<li id="comment-`+itoa(mine.ID)+`" class="comment depth-1">`)

	// An expired cookie shows nothing.
	key := heldCookieKey(mustSettings(t, f.testServer))
	old := &http.Cookie{Name: heldCookie, Value: encodeHeld(key, []uint{theirs.ID}, publicNow.Add(-1))}
	pubLacks(t, f.getWith(page, old), "Someone elses words")
	fresh := &http.Cookie{Name: heldCookie, Value: encodeHeld(key, []uint{theirs.ID}, publicNow.Add(heldCookieTTL))}
	pubHas(t, f.getWith(page, fresh), "Someone elses words") // the control: a valid cookie does show it
}

func TestCommentRememberMe(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	const page, action = "/2012/11/hello-world/", "/2012/11/hello-world/comments"
	pubHas(t, f.get(page), `<input id="remember" name="remember" type="checkbox" value="1">`,
		"Save my name, email, and website in this browser for the next time I comment.")

	// Without the box ticked, nothing is remembered.
	rec := f.postForm(action, commentValues("url", "https://reader.example/"))
	if ck := cookieNamed(rec, commenterCookie); ck != nil {
		t.Fatalf("commenter cookie set without consent: %+v", ck)
	}

	rec = f.postForm(action, commentValues("url", "https://reader.example/", "remember", "1"))
	pubStatus(t, rec, http.StatusSeeOther)
	saved := cookieNamed(rec, commenterCookie)
	if saved == nil || saved.MaxAge < 300*24*3600 || !saved.HttpOnly {
		t.Fatalf("commenter cookie %+v", saved)
	}

	// The form comes back filled for that visitor only.
	rec = f.getWith(page, saved)
	pubHas(t, rec, `name="name" type="text" value="Reader"`, `value="reader@example.com"`, `value="https://reader.example/"`,
		`name="remember" type="checkbox" value="1" checked>`)
	if rec.Header().Get("Cache-Control") != "private, no-store" || rec.Header().Get("X-Cache") == "hit" {
		t.Errorf("personal page headers: %v", rec.Header())
	}
	pubLacks(t, f.get(page), "reader@example.com", "checked>")

	// A garbled cookie is ignored.
	pubLacks(t, f.getWith(page, &http.Cookie{Name: commenterCookie, Value: "%%%"}), "reader@example.com")

	// Unticking the box forgets the details.
	rec = f.postForm(action, commentValues("content", "Forget me"), saved)
	if ck := cookieNamed(rec, commenterCookie); ck == nil || ck.MaxAge >= 0 {
		t.Errorf("commenter cookie not cleared: %+v", ck)
	}
}

func TestCommentLinks(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	st := mustSettings(t, f.testServer)
	st.HoldVisitorComments = false
	if err := f.Store.SaveSettings(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	rec := f.postForm("/2012/11/hello-world/comments", commentValues("content", "See https://example.org/a?b=1&c=2. Or javascript:alert(1) <a href=\"javascript:x\">x</a>"))
	pubStatus(t, rec, http.StatusSeeOther)
	stored := f.storedComments()[0]
	const link = `<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow ugc noopener">https://example.org/a?b=1&amp;c=2</a>.`
	if !strings.Contains(stored.Content, link) || strings.Contains(stored.Content, `href="javascript`) {
		t.Errorf("stored %q", stored.Content)
	}
	// Comments stored before links were made are linked when shown.
	f.interaction(models.Interaction{AuthorName: "Old", Content: "<p>Visit http://old.example/page</p>"})
	rec = f.get("/2012/11/hello-world/")
	pubHas(t, rec, link, `<p>Visit <a href="http://old.example/page" rel="nofollow ugc noopener">http://old.example/page</a></p>`)
	pubLacks(t, rec, `href="javascript`)
}

func mustSettings(t *testing.T, ts *testServer) *models.Settings {
	t.Helper()
	st, err := ts.Store.GetSettings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func itoa(id uint) string { return strconv.FormatUint(uint64(id), 10) }

// TestPersonalNotCached: a page made for one visitor is never stored,
// even if a request reached the cache without the visitor's cookie.
func TestPersonalNotCached(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cc   string
		want bool
	}{{"private, no-store", true}, {"no-store", true}, {"Private", true}, {"no-cache", false}, {"", false}, {"public, max-age=60", false}}
	for _, tt := range tests {
		h := http.Header{}
		h.Set("Cache-Control", tt.cc)
		if got := personal(h); got != tt.want {
			t.Errorf("personal(%q) = %v", tt.cc, got)
		}
	}
}
