package federation

import (
	"strconv"
	"testing"

	"fedpress/models"
	"fedpress/models/modelstest"
)

// A non-public note that answers nothing of ours is a direct message when
// it names one of our actors in to or cc: it is kept privately on no
// article. Anything else that is not a reply stays ignored.
func TestInboxDirectMessages(t *testing.T) {
	modelstest.Each(t, testInboxDirectMessages)
}

func testInboxDirectMessages(t *testing.T, store *models.Store) {
	e := newIBEnv(t, store)
	bob := e.remote.actor("bob")
	public := "https://www.w3.org/ns/activitystreams#Public"
	ann := e.svc.cfg.URLs.Actor("ann")
	tests := []struct {
		name      string
		to, cc    []any
		inReplyTo string
		stored    bool
		vis       string
	}{
		{"to the blog", []any{e.blogActor()}, nil, "", true, "direct"},
		{"to an author", []any{ann}, nil, "", true, "direct"},
		{"cc the blog, to someone else", []any{"https://elsewhere.example/users/cy"}, []any{e.blogActor()}, "", true, "direct"},
		{"followers-only naming the blog", []any{bob.URI + "/followers"}, []any{e.blogActor()}, "", true, "followers"},
		{"answering a remote note we cannot fetch", []any{e.blogActor()}, nil, e.remote.url("/notes/gone"), true, "direct"},
		{"answering our article that does not exist", []any{e.blogActor()}, nil, ibBase + "/articles/999", true, "direct"},
		{"followers-only not naming us", []any{bob.URI + "/followers"}, nil, "", false, ""},
		{"to a local name that is nobody", []any{ibBase + "/users/nobody"}, nil, "", false, ""},
		{"to another server only", []any{"https://elsewhere.example/users/cy"}, nil, "", false, ""},
		{"public, naming the blog", []any{public}, []any{e.blogActor()}, "", false, ""},
		{"unlisted, naming the blog", []any{e.blogActor()}, []any{public}, "", false, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := bob.note("/dm/"+strconv.Itoa(i), tt.inReplyTo, "<p>Between us <script>x</script></p>")
			n["to"], n["cc"] = tt.to, tt.cc
			if tt.cc == nil {
				delete(n, "cc")
			}
			bob.mustSend(bob.create(n))
			e.process()
			in := e.interaction(idOf(n))
			if !tt.stored {
				if in != nil {
					t.Fatalf("stored %+v", in)
				}
				return
			}
			if in == nil {
				t.Fatal("not stored")
			}
			if in.ArticleID != 0 || in.ParentID != nil || in.Status != models.StatusPrivate || in.Visibility != tt.vis ||
				in.Kind != models.KindComment || in.RemoteActorID == nil || in.ActivityURI != idOf(n)+"/activity" {
				t.Fatalf("stored as %+v", in)
			}
			if in.Content != "<p>Between us </p>" {
				t.Errorf("content not sanitized: %q", in.Content)
			}
		})
	}

	// In a conversation that belongs to no article, even an answer its
	// sender made public stays a message; a blocked sender's is hidden.
	first := e.interaction(bob.id("/dm/0"))
	local := "local answer"
	answer := &models.Interaction{ArticleID: 0, ParentID: &first.ID, Kind: models.KindComment, Source: models.SourceLocal,
		Status: models.StatusPrivate, LocalAuthorID: &e.author.ID, Content: "<p>" + local + "</p>", Visibility: "direct"}
	if _, err := e.store.CreateInteraction(e.ctx, answer); err != nil {
		t.Fatal(err)
	}
	followUp := bob.note("/dm/follow-up", e.svc.cfg.URLs.Comment(answer.ID), "<p>and publicly</p>")
	bob.mustSend(bob.create(followUp))
	e.process()
	in := e.interaction(idOf(followUp))
	if in == nil || in.ArticleID != 0 || in.ParentID == nil || *in.ParentID != answer.ID || in.Status != models.StatusPrivate || in.Visibility != "public" {
		t.Fatalf("follow-up stored as %+v", in)
	}
	if _, _, err := e.store.CreateBlock(e.ctx, models.BlockActor, bob.URI); err != nil {
		t.Fatal(err)
	}
	blocked := bob.note("/dm/blocked", "", "<p>still there?</p>")
	blocked["to"] = []any{e.blogActor()}
	delete(blocked, "cc")
	bob.send(bob.create(blocked)) // refused or kept hidden, as blocks decide
	e.process()
	if in := e.interaction(idOf(blocked)); in != nil && in.Status != models.StatusHidden {
		t.Fatalf("blocked sender's message stored as %s", in.Status)
	}
}
