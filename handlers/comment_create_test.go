package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"fedpress/models"
)

func commentValues(kv ...string) url.Values {
	v := url.Values{
		"name": {"Reader"}, "email": {"reader@example.com"}, "url": {""},
		"content": {"Great article.\n\nSecond paragraph\nwith a line break & <b>tags</b>."},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// storedComments lists every comment of any status, oldest first.
func (f *publicFixture) storedComments() []models.Interaction {
	f.t.Helper()
	list, err := f.Store.ListForModeration(context.Background(), models.ModerationQuery{Kind: models.KindComment})
	if err != nil {
		f.t.Fatal(err)
	}
	// ListForModeration is newest first.
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return list
}

func TestCommentCreateModerationFlow(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	const action = "/2012/11/hello-world/comments"

	rec := f.postForm(action, commentValues("url", "https://reader.example/"))
	pubStatus(t, rec, http.StatusSeeOther)
	if loc := rec.Header().Get("Location"); loc != "/2012/11/hello-world/?comment=pending#respond" {
		t.Fatalf("Location = %q", loc)
	}
	list := f.storedComments()
	if len(list) != 1 {
		t.Fatalf("stored %d comments, want 1", len(list))
	}
	c := list[0]
	if c.Status != models.StatusPending || c.Source != models.SourceWeb || c.ArticleID != f.hello.ID || c.ParentID != nil {
		t.Errorf("stored %+v", c)
	}
	if want := "<p>Great article.</p><p>Second paragraph<br>with a line break &amp; &lt;b&gt;tags&lt;/b&gt;.</p>"; c.Content != want {
		t.Errorf("Content = %q, want %q", c.Content, want)
	}
	if c.AuthorEmail != "reader@example.com" || c.AuthorURL != "https://reader.example/" || c.AuthorIP == "" {
		t.Errorf("author fields %q %q %q", c.AuthorEmail, c.AuthorURL, c.AuthorIP)
	}

	// Pending: not shown, but the visitor is told.
	rec = f.get("/2012/11/hello-world/?comment=pending")
	pubHas(t, rec, "Your comment is awaiting moderation.", "No comments yet")
	pubLacks(t, rec, "Great article.")

	// Approved: shown, counted.
	if err := f.Store.SetInteractionStatus(context.Background(), c.ID, models.StatusApproved); err != nil {
		t.Fatal(err)
	}
	rec = f.get("/2012/11/hello-world/")
	pubHas(t, rec, `1 comment on “Storm hits the coast”`, "<p>Great article.</p>", `<a href="https://reader.example/" rel="external nofollow ugc noopener">Reader</a>`)
	pubHas(t, f.get("/"), `1 comment<span class="screen-reader-text"> on “Storm hits the coast”</span>`)

	// A reply to it, from a now-known e-mail address, is approved at once
	// and lands nested under its parent.
	rec = f.postForm(action, commentValues("content", "Replying to myself", "parent_id", fmt.Sprint(c.ID)))
	pubStatus(t, rec, http.StatusSeeOther)
	list = f.storedComments()
	reply := list[len(list)-1]
	if reply.Status != models.StatusApproved || reply.ParentID == nil || *reply.ParentID != c.ID {
		t.Fatalf("reply stored %+v", reply)
	}
	if loc := rec.Header().Get("Location"); loc != fmt.Sprintf("/2012/11/hello-world/#comment-%d", reply.ID) {
		t.Errorf("Location = %q", loc)
	}
	rec = f.get("/2012/11/hello-world/")
	pubHas(t, rec, `2 comments on “Storm hits the coast”`, fmt.Sprintf(`<ol class="children">
<li id="comment-%d" class="comment depth-2">`, reply.ID))
}

func TestCommentCreateHoldDisabled(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	ctx := context.Background()
	st, err := f.Store.GetSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.HoldVisitorComments = false
	if err := f.Store.SaveSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	rec := f.postForm("/2012/11/hello-world/comments", commentValues())
	pubStatus(t, rec, http.StatusSeeOther)
	if list := f.storedComments(); len(list) != 1 || list[0].Status != models.StatusApproved {
		t.Fatalf("stored %+v", list)
	}
}

func TestCommentCreateRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		path   string
		values url.Values
		status int
		want   []string // in the re-rendered page
	}{
		{"invalid e-mail", "", commentValues("email", "not-an-address"), 400, []string{"Please give a valid e-mail address", `aria-invalid="true" aria-describedby="email-error"`}},
		{"e-mail with display name", "", commentValues("email", "Bob <bob@example.com>"), 400, []string{"valid e-mail address"}},
		{"missing e-mail", "", commentValues("email", ""), 400, []string{"Please give your e-mail address"}},
		{"missing name", "", commentValues("name", "  "), 400, []string{"Please give your name."}},
		{"empty content", "", commentValues("content", " \n "), 400, []string{"Please type a comment."}},
		{"content too long", "", commentValues("content", strings.Repeat("é", 10001)), 400, []string{"under 10000 characters"}},
		{"javascript website", "", commentValues("url", "javascript:alert(1)"), 400, []string{"must be a full address"}},
		{"unknown parent", "", commentValues("parent_id", "999"), 400, []string{"does not exist"}},
		{"bad parent", "", commentValues("parent_id", "abc"), 400, []string{"does not exist"}},
		{"draft article", "/2012/11/draft-post/comments", commentValues(), 404, nil},
		{"scheduled article", "/2012/12/future-post/comments", commentValues(), 404, nil},
		{"wrong month", "/2012/10/hello-world/comments", commentValues(), 404, nil},
		{"body too large", "", commentValues("content", strings.Repeat("a", 300<<10)), 413, nil},
	}
	// Nothing is ever stored, so the cases can share one blog.
	f := newPublicFixture(t)
	f.liftRateLimits() // many requests from the one test address
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = "/2012/11/hello-world/comments"
			}
			rec := f.postForm(path, tt.values)
			pubStatus(t, rec, tt.status)
			pubHas(t, rec, tt.want...)
			if tt.status == 400 {
				// The page comes back with the visitor's values kept.
				pubHas(t, rec, `<h1 class="entry-title p-name">Storm hits the coast</h1>`, `role="alert"`)
				if n := tt.values.Get("name"); strings.TrimSpace(n) != "" {
					pubHas(t, rec, `value="`+n+`"`)
				}
			}
			if list := f.storedComments(); len(list) != 0 {
				t.Errorf("stored %d comments, want none", len(list))
			}
		})
	}
}

func TestCommentCreateParentMustBeApprovedOnSameArticle(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	pending := f.interaction(models.Interaction{AuthorName: "P", AuthorEmail: "p@example.com", Content: "<p>p</p>", Status: models.StatusPending})
	other := f.interaction(models.Interaction{ArticleID: f.october.ID, AuthorName: "O", AuthorEmail: "o@example.com", Content: "<p>o</p>"})
	like := f.interaction(models.Interaction{Kind: models.KindLike, AuthorName: "L"})
	for _, id := range []uint{pending.ID, other.ID, like.ID} {
		rec := f.postForm("/2012/11/hello-world/comments", commentValues("parent_id", fmt.Sprint(id)))
		pubStatus(t, rec, http.StatusBadRequest)
	}
	if n := len(f.storedComments()); n != 2 {
		t.Errorf("%d comments stored, want the 2 fixtures only", n)
	}
}

func TestCommentCreateHoneypot(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	rec := f.postForm("/2012/11/hello-world/comments", commentValues("homepage", "http://spam.example"))
	pubStatus(t, rec, http.StatusSeeOther)
	if n := len(f.storedComments()); n != 0 {
		t.Fatalf("honeypot comment stored (%d)", n)
	}
}

func TestCommentCreateEscapesOnDisplay(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	ctx := context.Background()
	rec := f.postForm("/2012/11/hello-world/comments", commentValues(
		"name", `<script>alert(1)</script>`, "content", `<script>alert(2)</script><a href="javascript:x">x</a>`))
	pubStatus(t, rec, http.StatusSeeOther)
	list := f.storedComments()
	if len(list) != 1 {
		t.Fatalf("stored %d", len(list))
	}
	if err := f.Store.SetInteractionStatus(ctx, list[0].ID, models.StatusApproved); err != nil {
		t.Fatal(err)
	}
	rec = f.get("/2012/11/hello-world/")
	pubHas(t, rec, `&lt;script&gt;alert(1)&lt;/script&gt;`, `&lt;script&gt;alert(2)&lt;/script&gt;`)
	pubLacks(t, rec, `<script>alert`, `href="javascript:`)
}
