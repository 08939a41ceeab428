package federation

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
)

// TestInboxReplies covers Create{Note} and friends: where a reply lands,
// what is kept of it, and what is not ours to keep.
func TestInboxReplies(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, store *models.Store) {
		e := newIBEnv(t, store)
		bob := e.remote.actor("bob")
		carol := e.remote.actor("carol")

		// A comment written here by the author, and a remote one already stored.
		local := &models.Interaction{ArticleID: e.article.ID, Kind: models.KindComment, Source: models.SourceLocal,
			Status: models.StatusApproved, LocalAuthorID: &e.author.ID, Content: "<p>Thanks!</p>"}
		if _, err := e.store.CreateInteraction(e.ctx, local); err != nil {
			t.Fatal(err)
		}
		stored := bob.note("/notes/stored", e.articleURL(), "<p>first</p>")
		bob.mustSend(bob.create(stored))
		e.process()
		storedRow := e.interaction(idOf(stored))
		if storedRow == nil {
			t.Fatal("setup reply not stored")
		}

		type want struct {
			stored     bool
			parent     *uint
			status     string
			visibility string
			check      func(t *testing.T, in *models.Interaction)
		}
		cases := []struct {
			name string
			from *ibActor
			note func(path string) map[string]any
			want want
		}{
			{"reply to the article id", bob, func(p string) map[string]any { return bob.note(p, e.articleURL(), "<p>Nice</p>") },
				want{stored: true, status: models.StatusApproved, visibility: "public"}},
			{"reply to the permalink", bob, func(p string) map[string]any { return bob.note(p, e.permalinkURL(), "<p>Nice</p>") },
				want{stored: true, status: models.StatusApproved, visibility: "public"}},
			{"reply to the permalink without slash", bob, func(p string) map[string]any {
				return bob.note(p, strings.TrimSuffix(e.permalinkURL(), "/"), "<p>Nice</p>")
			}, want{stored: true, status: models.StatusApproved, visibility: "public"}},
			{"reply to our comment", bob, func(p string) map[string]any {
				return bob.note(p, e.svc.cfg.URLs.Comment(local.ID), "<p>To the author</p>")
			}, want{stored: true, parent: &local.ID, status: models.StatusApproved, visibility: "public"}},
			{"reply to a stored remote comment", carol, func(p string) map[string]any {
				return carol.note(p, idOf(stored), "<p>To bob</p>")
			}, want{stored: true, parent: &storedRow.ID, status: models.StatusApproved, visibility: "public"}},
			{"unlisted", bob, func(p string) map[string]any {
				n := bob.note(p, e.articleURL(), "<p>quiet</p>")
				n["to"], n["cc"] = []any{bob.URI + "/followers"}, []any{"as:Public"}
				return n
			}, want{stored: true, status: models.StatusApproved, visibility: "unlisted"}},
			{"followers only is private", bob, func(p string) map[string]any {
				n := bob.note(p, e.articleURL(), "<p>between us</p>")
				n["to"], n["cc"] = []any{bob.URI + "/followers"}, []any{e.blogActor()}
				return n
			}, want{stored: true, status: models.StatusPrivate, visibility: "followers"}},
			{"direct is private", bob, func(p string) map[string]any {
				n := bob.note(p, e.articleURL(), "<p>secret</p>")
				n["to"], n["cc"] = []any{e.blogActor()}, nil
				return n
			}, want{stored: true, status: models.StatusPrivate, visibility: "direct"}},
			{"everything kept", bob, func(p string) map[string]any {
				n := bob.note(p, e.articleURL(), `<p onclick="x()">Look <img src=x onerror=alert(1)> :blobcat: <a href="https://e.test/tags/x" class="mention hashtag evil">#x</a></p>`)
				n["summary"] = "<b>spoilers</b> & co"
				n["sensitive"] = true
				n["attachment"] = []any{
					map[string]any{"type": "Document", "mediaType": "image/png", "url": "https://media.test/a.png", "name": "a cat"},
					map[string]any{"type": "Image", "url": map[string]any{"type": "Link", "href": "https://media.test/b.jpg", "mediaType": "image/jpeg"}},
					map[string]any{"type": "Document", "url": "javascript:alert(1)"},
					map[string]any{"type": "PropertyValue", "name": "x", "value": "y"},
				}
				n["tag"] = []any{
					map[string]any{"type": "Emoji", "name": ":blobcat:", "icon": map[string]any{"type": "Image", "url": "https://media.test/blobcat.png"}},
					map[string]any{"type": "Hashtag", "name": "#x", "href": "https://e.test/tags/x"},
				}
				n["updated"] = "2024-05-06T08:00:00Z"
				return n
			}, want{stored: true, status: models.StatusApproved, visibility: "public", check: func(t *testing.T, in *models.Interaction) {
				for _, bad := range []string{"onclick", "<img", "onerror", "evil"} {
					if strings.Contains(in.Content, bad) {
						t.Errorf("content keeps %q: %s", bad, in.Content)
					}
				}
				if !strings.Contains(in.Content, `class="mention hashtag"`) {
					t.Errorf("hashtag class lost: %s", in.Content)
				}
				if in.Summary != "spoilers &amp; co" || !in.Sensitive {
					t.Errorf("summary %q sensitive %v", in.Summary, in.Sensitive)
				}
				var atts []models.Attachment
				if err := json.Unmarshal([]byte(in.Attachments), &atts); err != nil || len(atts) != 2 ||
					atts[0] != (models.Attachment{URL: "https://media.test/a.png", MediaType: "image/png", Name: "a cat"}) ||
					atts[1].URL != "https://media.test/b.jpg" || atts[1].MediaType != "image/jpeg" {
					t.Errorf("attachments %s", in.Attachments)
				}
				var emojis []models.Emoji
				if err := json.Unmarshal([]byte(in.Emojis), &emojis); err != nil || len(emojis) != 1 ||
					emojis[0] != (models.Emoji{Name: ":blobcat:", URL: "https://media.test/blobcat.png"}) {
					t.Errorf("emojis %s", in.Emojis)
				}
				if !in.PublishedAt.Equal(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)) || in.EditedAt != nil {
					t.Errorf("published %v edited %v", in.PublishedAt, in.EditedAt)
				}
				if in.AuthorName != "Bob Example" || in.AuthorURL != bob.remote.url("/@bob") {
					t.Errorf("author %q %q", in.AuthorName, in.AuthorURL)
				}
			}}},
			{"an Article shows its title", bob, func(p string) map[string]any {
				n := bob.note(p, e.articleURL(), "<p>Long answer.</p>")
				n["type"], n["name"] = "Article", "My <answer>"
				return n
			}, want{stored: true, status: models.StatusApproved, visibility: "public", check: func(t *testing.T, in *models.Interaction) {
				if !strings.HasPrefix(in.Content, "<p><strong>My &lt;answer&gt;</strong></p>") {
					t.Errorf("content %s", in.Content)
				}
			}}},
			{"contentMap only", bob, func(p string) map[string]any {
				n := bob.note(p, e.articleURL(), "")
				delete(n, "content")
				n["contentMap"] = map[string]any{"de": "<p>Hallo</p>"}
				return n
			}, want{stored: true, status: models.StatusApproved, visibility: "public", check: func(t *testing.T, in *models.Interaction) {
				if in.Content != "<p>Hallo</p>" {
					t.Errorf("content %q", in.Content)
				}
			}}},
			{"reply to an unknown object", bob, func(p string) map[string]any {
				return bob.note(p, bob.id("/notes/missing"), "<p>?</p>")
			}, want{}},
			{"not a reply", bob, func(p string) map[string]any { return bob.note(p, "", "<p>just a post</p>") }, want{}},
			{"reply to another blog's article", bob, func(p string) map[string]any {
				return bob.note(p, "https://other.test/articles/1", "<p>?</p>")
			}, want{}},
			{"reply to a missing article", bob, func(p string) map[string]any {
				return bob.note(p, ibBase+"/articles/999", "<p>?</p>")
			}, want{}},
			{"attributed to someone else", bob, func(p string) map[string]any {
				n := bob.note(p, e.articleURL(), "<p>forged</p>")
				n["attributedTo"] = carol.URI
				return n
			}, want{}},
			{"note id on another host", bob, func(p string) map[string]any {
				n := bob.note(p, e.articleURL(), "<p>forged</p>")
				n["id"] = "https://elsewhere.test" + p
				return n
			}, want{}},
			{"a Person is not a note", bob, func(p string) map[string]any {
				return map[string]any{"id": bob.id(p), "type": "Person", "inReplyTo": e.articleURL()}
			}, want{}},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				n := c.note(fmt.Sprintf("/notes/%d", i))
				act := c.from.create(n)
				act["id"] = c.from.id(fmt.Sprintf("/activities/%d", i))
				c.from.mustSend(act)
				e.process()
				if it := e.item(idOf(act)); it.ProcessedAt == nil || it.Error != "" {
					t.Fatalf("item not processed cleanly: %+v", it)
				}
				in := e.interaction(idOf(n))
				if !c.want.stored {
					if in != nil {
						t.Fatalf("stored: %+v", in)
					}
					return
				}
				if in == nil {
					t.Fatal("not stored")
				}
				if in.Kind != models.KindComment || in.ArticleID != e.article.ID || in.Status != c.want.status ||
					in.Visibility != c.want.visibility || in.ActivityURI != idOf(act) || in.RemoteActorID == nil {
					t.Errorf("stored %+v", in)
				}
				if (in.ParentID == nil) != (c.want.parent == nil) || in.ParentID != nil && *in.ParentID != *c.want.parent {
					t.Errorf("parent %v, want %v", in.ParentID, c.want.parent)
				}
				if c.want.check != nil {
					c.want.check(t, in)
				}
			})
		}

		t.Run("the actor was fetched with a signed GET and stored", func(t *testing.T) {
			a, err := e.store.RemoteActorByURI(e.ctx, bob.URI)
			if err != nil {
				t.Fatal(err)
			}
			if a.Username != "bob" || a.Name != "Bob Example" || a.Inbox != bob.URI+"/inbox" || a.SharedInbox != bob.remote.url("/inbox") ||
				a.Followers != bob.URI+"/followers" || a.AvatarURL != bob.remote.url("/avatars/bob.png") || a.PublicKeyID != bob.KeyID ||
				a.Host != hostOf(bob.URI) || a.Type != "Person" {
				t.Errorf("actor %+v", a)
			}
			if strings.Contains(a.Summary, "script") || strings.Contains(a.Summary, "javascript") {
				t.Errorf("summary not sanitized: %s", a.Summary)
			}
			signed := false
			for _, g := range e.remote.fetched() {
				if g.Path == "/users/bob" {
					signed = strings.Contains(g.Signature, `keyId="`+ibBase+`/actor#main-key"`)
				}
			}
			if !signed {
				t.Errorf("actor fetch not signed as the instance actor: %+v", e.remote.fetched())
			}
		})

		t.Run("edits and deletes", func(t *testing.T) {
			n := bob.note("/notes/edited", e.articleURL(), "<p>before</p>")
			bob.mustSend(bob.create(n))
			e.process()
			// Another actor can neither edit nor delete it.
			forged := carol.note("/notes/edited", e.articleURL(), "<p>hijacked</p>")
			forged["id"] = idOf(n)
			carol.send(map[string]any{"id": carol.id("/u/1"), "type": "Update", "object": forged})
			carol.send(map[string]any{"id": carol.id("/d/1"), "type": "Delete", "object": idOf(n)})
			e.process()
			if in := e.interaction(idOf(n)); in.Content != "<p>before</p>" || in.Status != models.StatusApproved {
				t.Fatalf("another actor changed it: %+v", in)
			}
			n["content"], n["updated"] = "<p>after</p>", "2024-06-01T00:00:00Z"
			bob.mustSend(map[string]any{"id": bob.id("/u/1"), "type": "Update", "object": n})
			e.process()
			in := e.interaction(idOf(n))
			if in.Content != "<p>after</p>" || in.EditedAt == nil || !in.EditedAt.Equal(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)) {
				t.Fatalf("edit: %+v", in)
			}
			bob.mustSend(map[string]any{"id": bob.id("/d/1"), "type": "Delete", "object": map[string]any{"id": idOf(n), "type": "Tombstone"}})
			e.process()
			if in := e.interaction(idOf(n)); in.Status != models.StatusRemoved || in.Content != "" {
				t.Fatalf("delete: %+v", in)
			}
			// An Update of a deleted note does not bring it back.
			n["content"] = "<p>zombie</p>"
			bob.mustSend(map[string]any{"id": bob.id("/u/2"), "type": "Update", "object": n})
			e.process()
			if in := e.interaction(idOf(n)); in.Status != models.StatusRemoved || in.Content != "" {
				t.Fatalf("update revived a deleted note: %+v", in)
			}
		})

		t.Run("an Update of a note we lack creates it", func(t *testing.T) {
			n := bob.note("/notes/late", e.articleURL(), "<p>overtook its Create</p>")
			bob.mustSend(map[string]any{"id": bob.id("/u/late"), "type": "Update", "object": n})
			e.process()
			if in := e.interaction(idOf(n)); in == nil || in.Status != models.StatusApproved {
				t.Fatalf("not created: %+v", in)
			}
		})

		t.Run("Create by reference is fetched from the actor's host", func(t *testing.T) {
			n := bob.note("/notes/byref", e.articleURL(), "<p>by reference</p>")
			e.remote.put(idOf(n), n)
			bob.mustSend(map[string]any{"id": bob.id("/c/byref"), "type": "Create", "object": idOf(n)})
			e.process()
			if in := e.interaction(idOf(n)); in == nil || in.Content != "<p>by reference</p>" {
				t.Fatalf("not stored: %+v", in)
			}
		})
	})
}

// TestInboxModeration: where a public reply lands under each setting.
func TestInboxModeration(t *testing.T) {
	e := newIBEnv(t, nil)
	for _, mode := range []string{"open", "first", "all"} {
		t.Run(mode, func(t *testing.T) {
			e.settings(func(st *models.Settings) { st.FediModeration = mode })
			a := e.remote.actor("m" + mode)
			first := a.note("/notes/"+mode+"/1", e.articleURL(), "<p>one</p>")
			a.mustSend(a.create(first))
			e.process()
			in := e.interaction(idOf(first))
			want := map[string]string{"open": models.StatusApproved, "first": models.StatusPending, "all": models.StatusPending}[mode]
			if in.Status != want {
				t.Fatalf("first reply %s, want %s", in.Status, want)
			}
			if err := e.store.SetInteractionStatus(e.ctx, in.ID, models.StatusApproved); err != nil {
				t.Fatal(err)
			}
			second := a.note("/notes/"+mode+"/2", e.articleURL(), "<p>two</p>")
			a.mustSend(a.create(second))
			e.process()
			want = map[string]string{"open": models.StatusApproved, "first": models.StatusApproved, "all": models.StatusPending}[mode]
			if got := e.interaction(idOf(second)).Status; got != want {
				t.Fatalf("second reply %s, want %s", got, want)
			}
		})
	}
}

// TestInboxQuotes: every way a post quotes an article, and what is not one.
func TestInboxQuotes(t *testing.T) {
	e := newIBEnv(t, nil)
	bob := e.remote.actor("bob")
	mention := map[string]any{"type": "Mention", "href": e.blogActor(), "name": "@blog@blog.test"}
	cases := []struct {
		name  string
		edit  func(n map[string]any)
		quote bool
	}{
		{"quoteUrl", func(n map[string]any) { n["quoteUrl"] = e.articleURL() }, true},
		{"quoteUri", func(n map[string]any) { n["quoteUri"] = e.articleURL() }, true},
		{"_misskey_quote", func(n map[string]any) { n["_misskey_quote"] = e.permalinkURL() }, true},
		{"FEP-044f quote", func(n map[string]any) { n["quote"] = e.articleURL() }, true},
		{"FEP-e232 link tag", func(n map[string]any) {
			n["tag"] = []any{map[string]any{"type": "Link", "rel": "https://misskey-hub.net/ns#_misskey_quote",
				"mediaType": `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, "href": e.articleURL()}}
		}, true},
		{"mention and permalink", func(n map[string]any) {
			n["tag"] = []any{mention}
			n["content"] = `<p>Read <a href="` + e.permalinkURL() + `">this</a> by @blog ` + strings.Repeat("word ", 80) + `</p>`
		}, true},
		{"permalink without mention", func(n map[string]any) {
			n["content"] = `<p>Read <a href="` + e.permalinkURL() + `">this</a></p>`
		}, false},
		{"mention without link", func(n map[string]any) { n["tag"] = []any{mention} }, false},
		{"quote of another site", func(n map[string]any) { n["quoteUrl"] = "https://other.test/articles/1" }, false},
		{"private quote", func(n map[string]any) {
			n["quoteUrl"] = e.articleURL()
			n["to"], n["cc"] = []any{bob.URI + "/followers"}, nil
		}, false},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := bob.note(fmt.Sprintf("/quotes/%d", i), "", "<p>So <b>true</b> &amp; &lt;wise&gt; — "+strings.Repeat("word ", 80)+"</p>")
			c.edit(n)
			bob.mustSend(bob.create(n))
			e.process()
			in := e.interaction(idOf(n))
			if !c.quote {
				if in != nil {
					t.Fatalf("stored %+v", in)
				}
				return
			}
			if in == nil || in.Kind != models.KindQuote || in.ArticleID != e.article.ID || in.Status != models.StatusApproved || in.Title != "Bob Example" {
				t.Fatalf("quote %+v", in)
			}
			if strings.Contains(in.Content, "<") || !strings.HasSuffix(in.Content, "…") || len(strings.Fields(in.Content)) > quoteExcerptWords+1 {
				t.Errorf("excerpt %q", in.Content)
			}
		})
	}
}

// TestInboxReactions: likes, boosts, their Undo, and emoji reactions.
func TestInboxReactions(t *testing.T) {
	e := newIBEnv(t, nil)
	bob := e.remote.actor("bob")
	count := func(kind string) int {
		ai, err := e.store.ListArticleInteractions(e.ctx, e.article.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch kind {
		case models.KindLike:
			return len(ai.Likes)
		case models.KindReaction:
			return len(ai.Reactions)
		}
		return len(ai.Pingbacks)
	}
	like := map[string]any{"id": bob.id("/likes/1"), "type": "Like", "object": e.permalinkURL()}
	bob.mustSend(like)
	e.process()
	if count(models.KindLike) != 1 {
		t.Fatal("like via the permalink not counted")
	}
	// Undo naming only the object (no Like id) finds it by actor and article.
	bob.mustSend(map[string]any{"id": bob.id("/undo/1"), "type": "Undo", "object": map[string]any{"type": "Like", "object": e.articleURL()}})
	e.process()
	if count(models.KindLike) != 0 {
		t.Fatal("Undo{Like} by object did not remove the like")
	}
	// An emoji reaction beside a like: both stay, apart.
	bob.mustSend(map[string]any{"id": bob.id("/likes/2"), "type": "Like", "object": e.articleURL()})
	bob.mustSend(map[string]any{"id": bob.id("/react/1"), "type": "EmojiReact", "content": "🔥", "object": e.articleURL()})
	e.process()
	if count(models.KindLike) != 1 || count(models.KindReaction) != 1 {
		t.Fatalf("likes %d reactions %d, want 1 and 1", count(models.KindLike), count(models.KindReaction))
	}
	// Undo of the reaction by its id leaves the like.
	bob.mustSend(map[string]any{"id": bob.id("/undo/3"), "type": "Undo", "object": bob.id("/react/1")})
	e.process()
	if count(models.KindLike) != 1 || count(models.KindReaction) != 0 {
		t.Fatalf("after Undo by bare id: likes %d reactions %d, want 1 and 0", count(models.KindLike), count(models.KindReaction))
	}
	// Boost of the article, and of something else.
	bob.mustSend(map[string]any{"id": bob.id("/boosts/1"), "type": "Announce", "object": e.articleURL()})
	bob.mustSend(map[string]any{"id": bob.id("/boosts/2"), "type": "Announce", "object": "https://other.test/notes/1"})
	e.process()
	if count(models.KindBoost) != 1 {
		t.Fatalf("boosts %d", count(models.KindBoost))
	}
	// Someone else cannot undo bob's boost.
	carol := e.remote.actor("carol")
	carol.mustSend(map[string]any{"id": carol.id("/undo/1"), "type": "Undo", "object": bob.id("/boosts/1")})
	e.process()
	if count(models.KindBoost) != 1 {
		t.Fatal("carol undid bob's boost")
	}
}

// TestReactionOf: what counts as an emoji reaction, as Misskey, Sharkey,
// Pleroma and Akkoma send them, and what does not.
func TestReactionOf(t *testing.T) {
	blob := []any{map[string]any{"type": "Emoji", "name": ":blobcat:", "icon": map[string]any{"type": "Image", "url": "https://m.example/e/blobcat.png"}}}
	tests := []struct {
		name      string
		act       map[string]any
		emoji, im string
	}{
		{"unicode content", map[string]any{"content": "👍"}, "👍", ""},
		{"Misskey field only", map[string]any{"_misskey_reaction": "❤"}, "❤", ""},
		{"variation selector", map[string]any{"content": "❤️"}, "❤️", ""},
		{"zwj family", map[string]any{"content": "👩‍👩‍👧"}, "👩‍👩‍👧", ""},
		{"flag", map[string]any{"content": "🇯🇵"}, "🇯🇵", ""},
		{"keycap", map[string]any{"content": "1️⃣"}, "1️⃣", ""},
		{"custom with its tag", map[string]any{"content": ":blobcat:", "tag": blob}, ":blobcat:", "https://m.example/e/blobcat.png"},
		{"custom, tag name without colons", map[string]any{"content": ":blobcat:", "tag": []any{map[string]any{"type": "Emoji", "name": "blobcat", "icon": map[string]any{"url": "https://m.example/b.png"}}}}, ":blobcat:", "https://m.example/b.png"},
		{"custom without a tag", map[string]any{"content": ":blob_cat@misskey.example:"}, ":blob_cat@misskey.example:", ""},
		{"custom with a script icon", map[string]any{"content": ":x:", "tag": []any{map[string]any{"type": "Emoji", "name": ":x:", "icon": map[string]any{"url": "javascript:alert(1)"}}}}, ":x:", ""},
		{"plain like", map[string]any{}, "", ""},
		{"a word", map[string]any{"content": "nice"}, "", ""},
		{"markup", map[string]any{"content": `<img src=x onerror=alert(1)>`}, "", ""},
		{"spaces", map[string]any{"content": "👍 👍"}, "", ""},
		{"kana", map[string]any{"content": "いいね"}, "", ""},
		{"too long", map[string]any{"content": strings.Repeat("👍", 17)}, "", ""},
		{"shortcode with markup", map[string]any{"content": ":a<b:"}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, im := reactionOf(tc.act)
			if e != tc.emoji || im != tc.im {
				t.Errorf("reactionOf = %q %q, want %q %q", e, im, tc.emoji, tc.im)
			}
		})
	}
}
