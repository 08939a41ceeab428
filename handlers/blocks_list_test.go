package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"fedpress/models"
)

// fedAdminFixture is a blog with a remote commenter (a public comment and a
// direct message) and two remote followers, one pending.
type fedAdminFixture struct {
	*testServer
	ad        *admin
	bob       *models.RemoteActor
	comment   *models.Interaction
	dm        *models.Interaction
	pending   *models.Follower
	accepted  *models.Follower
	published time.Time
}

func newFedAdminFixture(t *testing.T) *fedAdminFixture {
	t.Helper()
	ts := newTestServer(t)
	ctx := context.Background()
	f := &fedAdminFixture{testServer: ts, ad: ts.newAdmin("editor"), published: time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)}
	art := ts.article(f.ad.author, "hello", "Hello", "Hi.", f.published)
	actor := func(name string) *models.RemoteActor {
		a := &models.RemoteActor{URI: "https://social.example/users/" + name, Username: name, Host: "social.example",
			Name: strings.ToUpper(name), Inbox: "https://social.example/users/" + name + "/inbox", FetchedAt: time.Now()}
		if err := ts.Store.UpsertRemoteActor(ctx, a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	f.bob = actor("bob")
	carol := actor("carol")
	interaction := func(id, status, vis, content string) *models.Interaction {
		in := &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceActivityPub, Status: status,
			Visibility: vis, RemoteActorID: &f.bob.ID, AuthorName: "BOB", ObjectURI: &id, Content: content, PublishedAt: f.published}
		if _, err := ts.Store.CreateInteraction(ctx, in); err != nil {
			t.Fatal(err)
		}
		return in
	}
	f.comment = interaction("https://social.example/notes/1", models.StatusApproved, "public", "<p>public remark</p>")
	f.dm = interaction("https://social.example/notes/2", models.StatusPrivate, "direct", "<p>a private aside</p>")
	var err error
	if f.pending, _, err = ts.Store.UpsertFollower(ctx, "blog", carol.ID, "https://social.example/follows/c", models.FollowPending); err != nil {
		t.Fatal(err)
	}
	if f.accepted, _, err = ts.Store.UpsertFollower(ctx, "blog", f.bob.ID, "https://social.example/follows/b", models.FollowAccepted); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fedAdminFixture) status(t *testing.T, in *models.Interaction) string {
	t.Helper()
	got, err := f.Store.InteractionByID(context.Background(), in.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got.Status
}

func TestBlocksAdmin(t *testing.T) {
	f := newFedAdminFixture(t)
	ctx := context.Background()

	rec := f.ad.get("/admin/blocks/")
	if rec.Code != http.StatusOK {
		t.Fatalf("blocks page: %d %s", rec.Code, rec.Body)
	}
	mustContain(t, rec.Body.String(), "No blocked domains.", `name="csrf" value="`+f.ad.csrf+`"`)

	for _, bad := range []url.Values{
		{"kind": {"actor"}, "value": {"@bob@social.example"}},
		{"kind": {"domain"}, "value": {"not a domain"}},
		{"kind": {"keyword"}, "value": {"x"}},
		{"kind": {"other"}, "value": {"x"}},
	} {
		rec := f.ad.post("/admin/blocks", bad)
		if rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("%v: status %d", bad, rec.Code)
		}
	}
	if bs, _ := f.Store.ListBlocks(ctx); len(bs) != 0 {
		t.Fatalf("invalid blocks stored: %+v", bs)
	}

	// A domain pasted as a URL is reduced to its host; the comment and the
	// message are hidden, the follower ended.
	rec = f.ad.post("/admin/blocks", url.Values{"kind": {"domain"}, "value": {"https://Social.Example/@bob"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("add: %d %s", rec.Code, rec.Body)
	}
	bs, _ := f.Store.ListBlocks(ctx)
	if len(bs) != 1 || bs[0].Kind != models.BlockDomain || bs[0].Value != "social.example" {
		t.Fatalf("blocks %+v", bs)
	}
	if f.status(t, f.comment) != models.StatusHidden || f.status(t, f.dm) != models.StatusHidden {
		t.Fatal("block did not hide")
	}
	if fs, _ := f.Store.ListFollowersAdmin(ctx, "", 10); len(fs) != 0 {
		t.Fatalf("followers of a blocked domain kept: %d", len(fs))
	}
	rec = f.ad.get("/admin/blocks/?done=added")
	mustContain(t, rec.Body.String(), "social.example", "Block added.")
	// Adding it again changes nothing.
	if rec := f.ad.post("/admin/blocks", url.Values{"kind": {"domain"}, "value": {"social.example"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("re-add: %d", rec.Code)
	}
	if bs, _ := f.Store.ListBlocks(ctx); len(bs) != 1 {
		t.Fatalf("%d blocks", len(bs))
	}

	rec = f.ad.post("/admin/blocks/"+idStr(bs[0].ID)+"/delete", nil)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("remove: %d %s", rec.Code, rec.Body)
	}
	if f.status(t, f.comment) != models.StatusApproved || f.status(t, f.dm) != models.StatusPrivate {
		t.Fatalf("unblock: comment %s, message %s", f.status(t, f.comment), f.status(t, f.dm))
	}
	if rec := f.ad.post("/admin/blocks/999/delete", nil); rec.Code != http.StatusNotFound {
		t.Fatalf("missing block: %d", rec.Code)
	}

	// A keyword hides only what contains it; an actor block comes from the
	// messages page and goes back there.
	if rec := f.ad.post("/admin/blocks", url.Values{"kind": {"keyword"}, "value": {"Public Remark"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("keyword: %d", rec.Code)
	}
	if f.status(t, f.comment) != models.StatusHidden || f.status(t, f.dm) != models.StatusPrivate {
		t.Fatal("keyword block hid the wrong things")
	}
	rec = f.ad.post("/admin/blocks", url.Values{"kind": {"actor"}, "value": {f.bob.URI}, "return_to": {"/admin/messages/"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/messages/" {
		t.Fatalf("actor block: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if f.status(t, f.dm) != models.StatusHidden {
		t.Fatal("actor block did not hide the message")
	}
}

func TestMessagesAdmin(t *testing.T) {
	f := newFedAdminFixture(t)
	rec := f.ad.get("/admin/messages/")
	if rec.Code != http.StatusOK {
		t.Fatalf("messages page: %d %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	mustContain(t, body, "a private aside", "@bob@social.example", "Direct", "Block sender", f.bob.URI)
	if strings.Contains(body, "public remark") {
		t.Error("public comment listed among messages")
	}
	// And the message is nowhere on the public page.
	f.Now = func() time.Time { return f.published.Add(time.Hour) }
	page := f.get("/2020/01/hello/")
	if page.Code != http.StatusOK {
		t.Fatalf("article: %d", page.Code)
	}
	if strings.Contains(page.Body.String(), "a private aside") || !strings.Contains(page.Body.String(), "public remark") {
		t.Error("article page shows the message or hides the comment")
	}
}

func TestFollowersAdmin(t *testing.T) {
	f := newFedAdminFixture(t)
	ctx := context.Background()
	rec := f.ad.get("/admin/followers/")
	if rec.Code != http.StatusOK {
		t.Fatalf("followers page: %d %s", rec.Code, rec.Body)
	}
	mustContain(t, rec.Body.String(), "@carol@social.example", "@bob@social.example", `value="accept"`, "Follow requests")

	if rec := f.ad.post("/admin/followers/"+idStr(f.pending.ID)+"/status", url.Values{"status": {"maybe"}}); rec.Code != http.StatusBadRequest {
		t.Fatalf("bad action: %d", rec.Code)
	}
	if rec := f.ad.post("/admin/followers/"+idStr(f.pending.ID)+"/status", url.Values{"status": {"accept"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("accept: %d %s", rec.Code, rec.Body)
	}
	if got, _ := f.Store.FollowerByID(ctx, f.pending.ID); got.Status != models.FollowAccepted {
		t.Fatalf("after accept: %s", got.Status)
	}
	if n, _ := f.Store.CountPendingDeliveries(ctx); n != 1 {
		t.Fatalf("Accept not queued: %d", n)
	}
	if rec := f.ad.post("/admin/followers/"+idStr(f.accepted.ID)+"/status", url.Values{"status": {"reject"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("reject: %d %s", rec.Code, rec.Body)
	}
	if _, err := f.Store.FollowerByID(ctx, f.accepted.ID); !models.ErrIsNotFound(err) {
		t.Fatalf("rejected follower kept: %v", err)
	}
	if n, _ := f.Store.CountPendingDeliveries(ctx); n != 2 {
		t.Fatalf("Reject not queued: %d", n)
	}
	if rec := f.ad.post("/admin/followers/999/status", url.Values{"status": {"accept"}}); rec.Code != http.StatusNotFound {
		t.Fatalf("missing follower: %d", rec.Code)
	}
}

// idStr formats a row id for a URL.
func idStr(n uint) string { return strconv.FormatUint(uint64(n), 10) }
