package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"fedpress/models"
)

// interactingBlog is a blog with one article and remote accounts whose keys
// it has cached, posting signed activities to the shared inbox.
type interactingBlog struct {
	*testServer
	ad  *admin
	art *models.Article
}

func newInteractingBlog(t *testing.T) *interactingBlog {
	t.Helper()
	ts := newTestServerAt(t, "http://blog.test")
	ad := ts.newAdmin("alice")
	art := ts.article(ad.author, "quotable", "A quotable article", "Words *worth* quoting.", time.Now().Add(-time.Hour))
	return &interactingBlog{testServer: ts, ad: ad, art: art}
}

func (b *interactingBlog) articleID() string { return "http://blog.test/articles/" + fedID(b.art.ID) }

// send posts an activity signed by rs and runs the inbox worker.
func (b *interactingBlog) send(t *testing.T, rs remoteSigner, activity map[string]any) {
	t.Helper()
	if _, ok := activity["@context"]; !ok {
		activity["@context"] = "https://www.w3.org/ns/activitystreams"
	}
	activity["actor"] = rs.uri
	body, err := json.Marshal(activity)
	if err != nil {
		t.Fatal(err)
	}
	if rec := b.do(rs.post(t, "/inbox", body)); rec.Code != http.StatusAccepted {
		t.Fatalf("POST %v: %d %s", activity["type"], rec.Code, rec.Body)
	}
	drainInbox(t, b.Fed)
}

// sent lists the queued deliveries of one activity type to inbox, with
// their bodies.
func (b *interactingBlog) sent(t *testing.T, typ, inbox string) []map[string]any {
	t.Helper()
	ctx := context.Background()
	ds, err := b.Store.DeliveriesOfArticle(ctx, b.art.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, d := range ds {
		if d.Kind != typ || d.Inbox != inbox {
			continue
		}
		full, err := b.Store.DeliveryByID(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(full.Body), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func (b *interactingBlog) page(t *testing.T) string {
	t.Helper()
	rec := b.get(b.art.Permalink())
	if rec.Code != http.StatusOK {
		t.Fatalf("article page: %d", rec.Code)
	}
	return rec.Body.String()
}

// quotingNote is a public post by actor quoting object, as Mastodon 4.5
// writes one.
func quotingNote(actor, id, object, text string) map[string]any {
	return map[string]any{
		"id": id, "type": "Note", "attributedTo": actor, "content": "<p>" + text + "</p>",
		"quote": object, "_misskey_quote": object, "quoteUri": object,
		"to": []any{"https://www.w3.org/ns/activitystreams#Public"}, "cc": []any{actor + "/followers"},
		"published": time.Now().UTC().Format(time.RFC3339),
	}
}

// TestQuoteRequestFlow: the article lets the public quote it; a
// QuoteRequest is answered with Accept and a QuoteAuthorization stamp served
// at its id under the signed-fetch rule; the quote shows as a pingback;
// marking it spam sends the Delete of the stamp, whose id then answers 410,
// and a later request for it gets Reject.
func TestQuoteRequestFlow(t *testing.T) {
	b := newInteractingBlog(t)
	bob := seedSigner(t, b.Store, "http://remote.test/users/bob")
	bobInbox := bob.uri + "/inbox"
	ctx := context.Background()

	obj := jsonBody(t, b.as2("/articles/"+fedID(b.art.ID)))
	if auto, _ := field(obj, "interactionPolicy", "canQuote", "automaticApproval").([]any); len(auto) != 1 || auto[0] != "https://www.w3.org/ns/activitystreams#Public" {
		t.Errorf("interactionPolicy %v", obj["interactionPolicy"])
	}
	terms, _ := obj["@context"].([]any)[2].(map[string]any)
	for _, term := range []string{"interactionPolicy", "canQuote", "automaticApproval", "QuoteRequest", "QuoteAuthorization", "interactingObject", "interactionTarget", "quoteAuthorization"} {
		if terms[term] == nil {
			t.Errorf("@context lacks %q", term)
		}
	}

	noteID := bob.uri + "/statuses/9"
	reqID := bob.uri + "/quote_requests/1"
	b.send(t, bob, map[string]any{"id": reqID, "type": "QuoteRequest", "object": b.articleID(),
		"instrument": quotingNote(bob.uri, noteID, b.articleID(), "Worth reading, says Bob")})

	in, err := b.Store.InteractionByObjectURI(ctx, noteID)
	if err != nil {
		t.Fatalf("the quote was not stored: %v", err)
	}
	if in.Kind != models.KindQuote || in.Status != models.StatusApproved || in.StampedAt == nil {
		t.Fatalf("quote %+v", in)
	}
	stamp := "http://blog.test/quote_authorizations/" + fedID(in.ID)
	accepts := b.sent(t, "Accept", bobInbox)
	if len(accepts) != 1 {
		t.Fatalf("%d Accept to %s, want 1", len(accepts), bobInbox)
	}
	acc := accepts[0]
	if acc["actor"] != "http://blog.test/users/alice" || acc["result"] != stamp || field(acc, "object", "type") != "QuoteRequest" ||
		field(acc, "object", "id") != reqID || field(acc, "object", "instrument") != noteID || field(acc, "object", "object") != b.articleID() {
		t.Errorf("Accept %v", acc)
	}
	mustContain(t, b.page(t), "Quoted by", "Worth reading, says Bob")

	// The stamp, as Mastodon's VerifyQuoteService checks it.
	rec := b.as2("/quote_authorizations/" + fedID(in.ID))
	if rec.Code != http.StatusOK {
		t.Fatalf("stamp: %d %s", rec.Code, rec.Body)
	}
	st := jsonBody(t, rec)
	if st["id"] != stamp || st["type"] != "QuoteAuthorization" || st["attributedTo"] != "http://blog.test/users/alice" ||
		st["interactingObject"] != noteID || st["interactionTarget"] != b.articleID() {
		t.Errorf("stamp %v", st)
	}
	b.setAuthorizedFetch(true)
	if rec := b.as2("/quote_authorizations/" + fedID(in.ID)); rec.Code != http.StatusUnauthorized {
		t.Errorf("unsigned stamp fetch under authorized fetch: %d, want 401", rec.Code)
	}
	b.setAuthorizedFetch(false)

	// Revoked from the admin area.
	if rec := b.ad.post("/admin/comments/"+fedID(in.ID)+"/status", url.Values{"status": {models.StatusSpam}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("mark spam: %d %s", rec.Code, rec.Body)
	}
	dels := b.sent(t, "Delete", bobInbox)
	if len(dels) != 1 || dels[0]["object"] != stamp || dels[0]["actor"] != "http://blog.test/users/alice" {
		t.Fatalf("Delete of the stamp: %v", dels)
	}
	rec = b.as2("/quote_authorizations/" + fedID(in.ID))
	if rec.Code != http.StatusGone {
		t.Fatalf("revoked stamp: %d, want 410", rec.Code)
	}
	if ts := jsonBody(t, rec); ts["type"] != "Tombstone" || ts["id"] != stamp {
		t.Errorf("revoked stamp %v", ts)
	}
	if strings.Contains(b.page(t), "Worth reading, says Bob") {
		t.Error("the revoked quote still shows")
	}
	// Asking again gets Reject.
	b.send(t, bob, map[string]any{"id": bob.uri + "/quote_requests/2", "type": "QuoteRequest", "object": b.articleID(), "instrument": noteID})
	if rejects := b.sent(t, "Reject", bobInbox); len(rejects) != 1 || field(rejects[0], "object", "id") != bob.uri+"/quote_requests/2" {
		t.Errorf("Reject: %v", rejects)
	}
}

// TestQuoteRequestRefusals: requests that are not what they claim change
// nothing and get no answer. A quote that arrived as a Create first is
// stamped, not stored twice.
func TestQuoteRequestRefusals(t *testing.T) {
	b := newInteractingBlog(t)
	bob := seedSigner(t, b.Store, "http://remote.test/users/bob")
	ctx := context.Background()
	other := b.article(b.ad.author, "other", "Another article", "x", time.Now().Add(-time.Hour))
	otherID := "http://blog.test/articles/" + fedID(other.ID)
	cases := []struct {
		name       string
		object     string
		instrument map[string]any
	}{
		{"post quotes another article", b.articleID(), quotingNote(bob.uri, bob.uri+"/statuses/20", otherID, "x")},
		{"post by someone else", b.articleID(), quotingNote("http://remote.test/users/carol", bob.uri+"/statuses/21", b.articleID(), "x")},
		{"post on another host", b.articleID(), quotingNote(bob.uri, "http://elsewhere.test/statuses/22", b.articleID(), "x")},
		{"not our article", "http://elsewhere.test/notes/1", quotingNote(bob.uri, bob.uri+"/statuses/23", "http://elsewhere.test/notes/1", "x")},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b.send(t, bob, map[string]any{"id": bob.uri + "/quote_requests/r" + fedID(uint(i)), "type": "QuoteRequest", "object": c.object, "instrument": c.instrument})
			if _, err := b.Store.InteractionByObjectURI(ctx, c.instrument["id"].(string)); !models.ErrIsNotFound(err) {
				t.Errorf("stored: %v", err)
			}
		})
	}
	if got := len(b.sent(t, "Accept", bob.uri+"/inbox")) + len(b.sent(t, "Reject", bob.uri+"/inbox")); got != 0 {
		t.Errorf("%d answers to refused requests", got)
	}

	note := quotingNote(bob.uri, bob.uri+"/statuses/30", b.articleID(), "Quoted first, asked after")
	b.send(t, bob, map[string]any{"id": note["id"].(string) + "/activity", "type": "Create", "object": note,
		"to": note["to"], "cc": note["cc"]})
	b.send(t, bob, map[string]any{"id": bob.uri + "/quote_requests/30", "type": "QuoteRequest", "object": b.articleID(), "instrument": note})
	all, err := b.Store.ListArticleInteractions(ctx, b.art.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Pingbacks) != 1 || all.Pingbacks[0].StampedAt == nil {
		t.Errorf("pingbacks %+v, want the one quote, stamped", all.Pingbacks)
	}
}

// TestEmojiReactionsShown: reactions from Misskey/Sharkey (Like with
// content or _misskey_reaction) and Pleroma/Akkoma (EmojiReact) show next
// to the likes, grouped per emoji, custom emoji as images with http(s)
// sources only; anything else is not a reaction; Undo removes them.
func TestEmojiReactionsShown(t *testing.T) {
	b := newInteractingBlog(t)
	carol := seedSigner(t, b.Store, "http://remote.test/users/carol") // Misskey
	dave := seedSigner(t, b.Store, "http://remote.test/users/dave")   // Pleroma
	erin := seedSigner(t, b.Store, "http://remote.test/users/erin")
	frank := seedSigner(t, b.Store, "http://remote.test/users/frank")
	art := b.articleID()
	emojiTag := func(name, icon string) []any {
		return []any{map[string]any{"type": "Emoji", "name": name, "icon": map[string]any{"type": "Image", "url": icon}}}
	}
	for _, s := range []struct {
		who remoteSigner
		act map[string]any
	}{
		{carol, map[string]any{"id": carol.uri + "/likes/1", "type": "Like", "object": art, "content": "👍", "_misskey_reaction": "👍"}},
		{carol, map[string]any{"id": carol.uri + "/likes/2", "type": "Like", "object": art, "content": ":blobcat:", "_misskey_reaction": ":blobcat:",
			"tag": emojiTag(":blobcat:", "https://remote.test/emoji/blobcat.png")}},
		{dave, map[string]any{"id": dave.uri + "/react/1", "type": "EmojiReact", "object": art, "content": "👍"}},
		{dave, map[string]any{"id": dave.uri + "/react/2", "type": "EmojiReact", "object": art, "content": ":neocat:",
			"tag": emojiTag("neocat", "javascript:alert(1)")}},
		{dave, map[string]any{"id": dave.uri + "/react/3", "type": "EmojiReact", "object": art, "content": "👍"}}, // again: once
		{erin, map[string]any{"id": erin.uri + "/react/1", "type": "EmojiReact", "object": art, "content": `<img src=x onerror=alert(1)>`}},
		{erin, map[string]any{"id": erin.uri + "/react/2", "type": "EmojiReact", "object": art, "content": "nice"}},
		{frank, map[string]any{"id": frank.uri + "/likes/1", "type": "Like", "object": art}},
	} {
		b.send(t, s.who, s.act)
	}
	page := b.page(t)
	mustContain(t, page,
		`<h3 id="likes-title">1 like</h3>`,
		`<span class="emoji">👍</span> <span class="count">2</span>`,
		`<img class="emoji" src="https://remote.test/emoji/blobcat.png" alt=":blobcat:"`,
		`<span class="emoji">:neocat:</span> <span class="count">1</span>`,
	)
	for _, bad := range []string{"javascript:", "onerror", ">nice<"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}

	// Undo by the reaction's id, and (Pleroma) by actor, object and emoji.
	b.send(t, carol, map[string]any{"id": carol.uri + "/undo/1", "type": "Undo", "object": carol.uri + "/likes/1"})
	b.send(t, dave, map[string]any{"id": dave.uri + "/undo/2", "type": "Undo",
		"object": map[string]any{"type": "EmojiReact", "actor": dave.uri, "object": art, "content": ":neocat:"}})
	page = b.page(t)
	mustContain(t, page, `<span class="emoji">👍</span> <span class="count">1</span>`, `<h3 id="likes-title">1 like</h3>`)
	if strings.Contains(page, ":neocat:") {
		t.Error("the undone :neocat: reaction still shows")
	}
}
