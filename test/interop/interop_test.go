// Package interop runs fedpress against an ActivityPub server it did not
// write: test/fedify/peer.mjs, built with Fedify 1.5.9. Fedify verifies
// fedpress's signatures and parses its JSON-LD with its own code, and signs
// what it sends with its own code; the test drives the peer through its
// /control/ API as a fediverse user would and reads fedpress's pages as a
// reader would.
//
// Needs node (20+) and test/fedify/node_modules:
//
//	(cd test/fedify && npm ci --no-audit --no-fund)
//
// Without them the test is skipped, unless CI is set (then it fails).
package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"fedpress/test/testproc"
)

const (
	blogUser   = "blog" // models.DefaultBlogUsername
	authorUser = "alice"
	authorName = "Alice Writer"
	password   = "interop-password-1234"
	waitLong   = 15 * time.Second
)

func TestMain(m *testing.M) { testproc.Main(m) }

func TestFedifyInterop(t *testing.T) {
	if testing.Short() && !testproc.CI() {
		t.Skip("interop test skipped in -short mode (it builds fedpress and starts a Node peer)")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	peerDir := filepath.Join(root, "test", "fedify")
	if problem := testproc.FedifyPeerProblem(root); problem != "" {
		testproc.SkipOrFail(t, problem)
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Fatal(err)
	}

	tmp := t.TempDir()
	// Node takes a few seconds to load Fedify: start the peer while
	// fedpress builds.
	peer := startPeer(t, nodeBin, peerDir)
	fp := startFedpress(t, testproc.Fedpress(t), tmp)
	peer.waitReady(t)
	t.Logf("fedpress at %s, Fedify peer at %s (%s)", fp.base, peer.base, peer.actor)

	// Registered after the processes' own clean-ups, so it runs before them.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("---- fedpress log (last 250 lines)\n%s", testproc.Tail(fp.out.String(), 250))
			t.Logf("---- Fedify peer log (last 250 lines)\n%s", testproc.Tail(peer.out.String(), 250))
		}
		if !t.Failed() && !testing.Verbose() {
			return
		}
		if recs, err := peer.inbox(); err == nil {
			t.Logf("---- what reached the peer's inboxes\n%s", summarize(recs))
		}
		if reqs, err := peer.requests(); err == nil {
			t.Logf("---- requests the peer served\n%s", requestsText(reqs))
		}
	})

	s := &scenario{t: t, fp: fp, peer: peer, dir: tmp}
	s.blogActor = fp.base + "/users/" + blogUser
	s.authorActor = fp.base + "/users/" + authorUser

	// Steps run in order; each names what it needs: a step that passed, or
	// a fact an earlier step established (so that one failure does not hide
	// everything after it).
	s.step("discovery", nil, s.discovery)
	s.step("follow", nil, s.follow)
	s.step("publish", nil, s.publish) // without follows it still learns the article id
	s.step("fetch", []string{"article id"}, s.fetch)
	s.step("edit", []string{"follow", "article id"}, s.edit)
	s.step("reply", []string{"article id"}, s.reply)
	s.step("nested-reply", []string{"reply shown"}, s.nestedReply)
	s.step("reply-edit", []string{"nested reply shown"}, s.replyEdit)
	s.step("reply-delete", []string{"nested reply shown"}, s.replyDelete)
	s.step("author-answer", []string{"reply shown"}, s.authorAnswer)
	s.step("boost", []string{"article id"}, s.boost)
	s.step("unboost", []string{"boost"}, s.unboost)
	s.step("like", []string{"article id"}, s.like)
	s.step("unlike", []string{"like"}, s.unlike)
	s.step("missing-parent", []string{"article id"}, s.missingParent)
	s.step("direct-message", []string{"article id"}, s.directMessage)
	s.step("no-duplicates", []string{"publish"}, s.noDuplicates)
	s.step("signed-gets", nil, s.signedGets)
	s.step("replies-walk", []string{"reply shown"}, s.repliesWalk) // after signed-gets: the peer's own GETs join its log
	s.step("article-delete", []string{"follow", "article id"}, s.articleDelete)
	s.step("unfollow", []string{"follow"}, s.unfollow)
}

// ---------------------------------------------------------------- scenario

type scenario struct {
	t    *testing.T
	fp   *fedpress
	peer *peer
	dir  string

	passed map[string]bool

	blogActor, authorActor string
	followIDs              map[string]string // actor -> Follow id
	permalink              string            // absolute
	articleID              string            // the article's ActivityPub id
	reply1, reply2         string            // note ids
	reply1Text, reply2Text string
	reply1Shown            bool
	reply2Shown            bool
}

// step runs one stage of the scenario as a subtest; a stage whose
// prerequisites failed is skipped, naming them.
func (s *scenario) step(name string, needs []string, fn func(t *testing.T)) {
	if s.passed == nil {
		s.passed = map[string]bool{}
	}
	facts := map[string]bool{
		"article id":         s.articleID != "" && s.permalink != "",
		"reply shown":        s.reply1 != "" && s.reply1Shown,
		"nested reply shown": s.reply2 != "" && s.reply2Shown,
	}
	s.t.Run(name, func(t *testing.T) {
		defer func() { s.passed[name] = !t.Failed() && !t.Skipped() }()
		for _, n := range needs {
			if ok, isFact := facts[n]; isFact && !ok {
				t.Skipf("skipped: needs the %s, which earlier steps did not establish", n)
			} else if !isFact && !s.passed[n] {
				t.Skipf("skipped: needs step %q, which did not pass", n)
			}
		}
		fn(t)
	})
}

// discovery: the peer finds @blog@host and @alice@host by WebFinger over
// http (Fedify's own client only speaks https), and so does Go.
func (s *scenario) discovery(t *testing.T) {
	// The base URL has a port on purpose: GoToSocial refused our instance
	// actor while its username was host:port.
	if u, err := url.Parse(s.fp.base); err != nil || u.Port() == "" {
		t.Fatalf("base URL %q has no port", s.fp.base)
	}
	var inst struct {
		Status int             `json:"status"`
		JSON   json.RawMessage `json:"json"`
	}
	if err := s.peer.call("fetch", map[string]any{"url": s.fp.base + "/actor", "signed": false, "accept": "application/activity+json"}, &inst); err != nil {
		t.Errorf("peer: fetch the instance actor: %v", err)
	} else {
		var doc struct{ ID, PreferredUsername string }
		_ = json.Unmarshal(inst.JSON, &doc)
		if !regexp.MustCompile(`^[A-Za-z0-9_.-]+$`).MatchString(doc.PreferredUsername) {
			t.Errorf("instance actor: %d, preferredUsername %q is no username GoToSocial accepts\n%s", inst.Status, doc.PreferredUsername, inst.JSON)
		} else {
			handle := "@" + doc.PreferredUsername + "@" + s.fp.host
			var res struct {
				Status int    `json:"status"`
				Self   string `json:"self"`
			}
			if err := s.peer.call("resolve", map[string]any{"handle": handle}, &res); err != nil || res.Status != http.StatusOK || res.Self != doc.ID {
				t.Errorf("peer resolved %s: %d self %q, %v; want %s", handle, res.Status, res.Self, err, doc.ID)
			}
		}
	}
	for user, want := range map[string]string{blogUser: s.blogActor, authorUser: s.authorActor} {
		handle := "@" + user + "@" + s.fp.host
		var res struct {
			URL         string          `json:"url"`
			Status      int             `json:"status"`
			ContentType string          `json:"contentType"`
			JRD         json.RawMessage `json:"jrd"`
			Body        string          `json:"body"`
			Self        string          `json:"self"`
		}
		if err := s.peer.call("resolve", map[string]any{"handle": handle}, &res); err != nil {
			t.Errorf("peer: resolve %s: %v", handle, err)
			continue
		}
		if res.Status != http.StatusOK || res.Self != want {
			t.Errorf("peer resolved %s: GET %s -> %d %s, self link %q, want %q\nJRD: %s%s", handle, res.URL, res.Status, res.ContentType, res.Self, want, res.JRD, res.Body)
		}
		if got, err := webfinger(s.fp.base, user+"@"+s.fp.host); err != nil || got != want {
			t.Errorf("Go resolved %s: %q, %v; want %q", handle, got, err, want)
		}
	}
}

// webfinger resolves acct over plain http and returns the self link.
func webfinger(base, acct string) (string, error) {
	req, _ := http.NewRequest(http.MethodGet, base+"/.well-known/webfinger?resource="+url.QueryEscape("acct:"+acct), nil)
	req.Header.Set("Accept", "application/jrd+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %s", req.URL, resp.Status, body)
	}
	var jrd struct {
		Links []struct{ Rel, Type, Href string }
	}
	if err := json.Unmarshal(body, &jrd); err != nil {
		return "", fmt.Errorf("GET %s: %v: %s", req.URL, err, body)
	}
	for _, l := range jrd.Links {
		if l.Rel == "self" && (l.Type == "application/activity+json" || strings.HasPrefix(l.Type, "application/ld+json")) {
			return l.Href, nil
		}
	}
	return "", fmt.Errorf("GET %s: no self link: %s", req.URL, body)
}

// follow: the peer follows the blog actor and the author; each answers with
// an Accept that Fedify verifies.
func (s *scenario) follow(t *testing.T) {
	s.followIDs = map[string]string{}
	for _, actor := range []string{s.blogActor, s.authorActor} {
		var res struct {
			ID    string         `json:"id"`
			Actor map[string]any `json:"actor"`
		}
		if err := s.peer.call("follow", map[string]any{"target": actor}, &res); err != nil {
			t.Errorf("peer: follow %s: %v", actor, err)
			continue
		}
		s.followIDs[actor] = res.ID
		t.Logf("peer sees %s as %v", actor, res.Actor)
	}
	for actor, followID := range s.followIDs {
		rec, detail := s.peer.waitInbox(waitLong, func(r inboxRecord) bool {
			return r.Type == "Accept" && r.Actor == actor
		})
		if rec == nil {
			t.Errorf("no Accept from %s for Follow %s within %s\n%s", actor, followID, waitLong, detail)
			continue
		}
		if !rec.Verified || rec.Status/100 != 2 {
			t.Errorf("Accept from %s: Fedify answered %d %q, verified=%v\nheaders %v\nFedify log: %s\nJSON: %s", actor, rec.Status, rec.Response, rec.Verified, headerText(rec.Headers), rec.logText(), rec.JSON)
		}
		if rec.ObjectID != followID {
			t.Errorf("Accept from %s accepts %q, want the Follow %q\nJSON: %s", actor, rec.ObjectID, followID, rec.JSON)
		}
	}
}

const articleTitle = "Interop: Fedify meets fedpress"
const articleSummary = "A short summary that followers read as the lead."
const articleSlug = "interop-fedify"

func (s *scenario) writePost(t *testing.T, body string) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 12))
	for y := 0; y < 12; y++ {
		for x := 0; x < 16; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 20), 160, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "gradient.png"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(s.dir, "post.md")
	// The id `fedpress post` wrote into the file the first time makes the
	// next post update that article: keep it, as an author editing the file does.
	id := ""
	if old, err := os.ReadFile(p); err == nil {
		id = regexp.MustCompile(`(?m)^id: .*\n`).FindString(string(old))
	}
	md := "---\n" + id +
		"title: \"" + articleTitle + "\"\n" +
		"slug: " + articleSlug + "\n" +
		"tags: [Fediverse, interop]\n" +
		"summary: \"" + articleSummary + "\"\n" +
		"---\n" + body // the image's alt text comes from the Markdown
	if err := os.WriteFile(p, []byte(md), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// publish: `fedpress post` → exactly one Create{Note} reaches the peer,
// although it follows both the blog and the author.
func (s *scenario) publish(t *testing.T) {
	since := s.peer.lastSeq()
	p := s.writePost(t, "First version of the body, with a picture:\n\n![A small gradient](gradient.png)\n\nThe end.\n")
	out, err := s.fp.post(p)
	if err != nil {
		t.Fatalf("fedpress post: %v\n%s", err, out)
	}
	s.permalink = lastURL(out)
	if s.permalink == "" {
		t.Fatalf("fedpress post printed no permalink:\n%s", out)
	}
	t.Logf("published %s", s.permalink)
	if !s.passed["follow"] {
		s.articleID = s.alternateAS2(t)
		if s.articleID == "" {
			t.Fatalf("the follows failed and %s has no <link rel=alternate type=application/activity+json>: the article id is unknown", s.permalink)
		}
		t.Skipf("the follows failed, so no Create is expected; the article id, from the page, is %s", s.articleID)
	}

	rec, detail := s.peer.waitInbox(waitLong, func(r inboxRecord) bool {
		return r.Seq > since && r.Type == "Create"
	})
	if rec == nil {
		// Learn the id from the page, so later steps can still run.
		s.articleID = s.alternateAS2(t)
		t.Fatalf("no Create reached the peer within %s (article id from the page: %q)\n%s", waitLong, s.articleID, detail)
	}
	s.articleID = rec.ObjectID
	// Give a second delivery (to the other follower's inbox) time to show.
	time.Sleep(1500 * time.Millisecond)
	creates := s.peer.matching(func(r inboxRecord) bool { return r.Type == "Create" && r.ObjectID == s.articleID })
	if len(creates) != 1 {
		t.Errorf("peer received %d Create for %s, want exactly 1 (it follows both %s and %s):\n%s", len(creates), s.articleID, s.blogActor, s.authorActor, summarize(creates))
	}
	t.Logf("Create{%s} %s arrived at %s (signed by %s)", rec.ObjectType, rec.ObjectID, rec.Path, keyID(rec.Headers["signature"]))
	if !rec.Verified || rec.Status/100 != 2 {
		t.Errorf("Create: Fedify answered %d %q, verified=%v\nheaders %v\nFedify log: %s\nJSON: %s", rec.Status, rec.Response, rec.Verified, headerText(rec.Headers), rec.logText(), rec.JSON)
		return
	}
	checkArticle(t, "Create", rec, articleTitle, s.permalink)
	t.Logf("Fedify read: %s", describe(rec))
}

// describe is what Fedify understood of an activity, for the log.
func describe(rec *inboxRecord) string {
	if rec.Parsed == nil || rec.Parsed.Object == nil {
		return "(no embedded object read)"
	}
	o := rec.Parsed.Object
	return fmt.Sprintf("%s %s{type %s, name %q, summary %q, attributedTo %v, tags %+v, attachments %+v}",
		rec.Parsed.Type, rec.Parsed.ID, o.Type, o.Name, o.Summary, o.AttributedTo, o.Tags, o.Attachments)
}

// checkArticle checks what Fedify understood of an embedded article: a
// Note with neither name nor summary (GoToSocial shows either as a content
// warning), whose content leads with the title, then the lead, then a link
// back (see federation/peers_view_test.go for why).
func checkArticle(t *testing.T, kind string, rec *inboxRecord, title, permalink string) {
	t.Helper()
	if rec.Parsed == nil || rec.Parsed.Object == nil {
		t.Errorf("%s: Fedify could not read the embedded object (error %q)\nJSON: %s", kind, parsedErr(rec), rec.JSON)
		return
	}
	o := rec.Parsed.Object
	if o.Type != as("Note") {
		t.Errorf("%s: object type %q, want %q\nJSON: %s", kind, o.Type, as("Note"), rec.JSON)
	}
	if o.Name != "" || o.Summary != "" {
		t.Errorf("%s: name %q, summary %q: GoToSocial would show them as a content warning", kind, o.Name, o.Summary)
	}
	for _, want := range []string{"<strong>" + title + "</strong>", articleSummary, `href="` + permalink + `"`} {
		if !strings.Contains(o.Content, want) {
			t.Errorf("%s: content %q, want it to hold %q", kind, o.Content, want)
		}
	}
	if len(o.AttributedTo) == 0 {
		t.Errorf("%s: no attributedTo", kind)
	}
	var image bool
	for _, a := range o.Attachments {
		if strings.HasPrefix(a.MediaType, "image/png") && strings.Contains(a.URL, "/media/") && a.Name == "A small gradient" {
			image = true // with the alt text the Markdown gave it
		}
	}
	if !image {
		t.Errorf("%s: no image/png attachment under /media/ named \"A small gradient\" in %+v (error %q)\nJSON: %s", kind, o.Attachments, o.AttachmentsError, rec.JSON)
	}
	var tag bool
	for _, tg := range o.Tags {
		if tg.Type == as("Hashtag") && strings.EqualFold(strings.TrimPrefix(tg.Name, "#"), "fediverse") {
			tag = true
		}
	}
	if !tag {
		t.Errorf("%s: no Hashtag #fediverse as Fedify reads the tags: %+v (error %q)\nraw tag: %s", kind, o.Tags, o.TagsError, rawField(rec.JSON, "object", "tag"))
	}
}

// fetch: the peer dereferences the article id with a signed GET (Fedify's
// authenticated document loader) and with a plain fetch.
func (s *scenario) fetch(t *testing.T) {
	var signed struct {
		OK         bool            `json:"ok"`
		Error      string          `json:"error"`
		JSON       json.RawMessage `json:"json"`
		Parsed     *parsedObject   `json:"parsed"`
		ParseError string          `json:"parseError"`
	}
	if err := s.peer.call("fetch", map[string]any{"url": s.articleID}, &signed); err != nil {
		t.Fatalf("peer: fetch %s: %v", s.articleID, err)
	}
	switch {
	case !signed.OK:
		t.Errorf("signed GET %s failed: %s", s.articleID, signed.Error)
	case signed.Parsed == nil:
		t.Errorf("signed GET %s: Fedify could not parse it: %s\n%s", s.articleID, signed.ParseError, signed.JSON)
	case signed.Parsed.Type != as("Note") || signed.Parsed.ID != s.articleID || !strings.Contains(signed.Parsed.Content, articleTitle):
		t.Errorf("signed GET %s: got type %q id %q content %q\n%s", s.articleID, signed.Parsed.Type, signed.Parsed.ID, signed.Parsed.Content, signed.JSON)
	}

	for _, u := range []string{s.articleID, s.permalink} {
		for _, accept := range []string{"application/activity+json", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`} {
			var plain struct {
				Status      int             `json:"status"`
				ContentType string          `json:"contentType"`
				Location    string          `json:"location"`
				JSON        json.RawMessage `json:"json"`
				Body        string          `json:"body"`
			}
			if err := s.peer.call("fetch", map[string]any{"url": u, "signed": false, "accept": accept}, &plain); err != nil {
				t.Fatalf("peer: fetch %s: %v", u, err)
			}
			var obj struct{ ID, Type string }
			_ = json.Unmarshal(plain.JSON, &obj)
			if plain.Status != http.StatusOK || !isAS2(plain.ContentType) || obj.ID != s.articleID || obj.Type != "Note" {
				t.Errorf("unsigned GET %s (Accept: %s): %d %s location %q, id %q type %q, want 200 AS2 with id %s\n%s%s",
					u, accept, plain.Status, plain.ContentType, plain.Location, obj.ID, obj.Type, s.articleID, plain.JSON, plain.Body)
			}
		}
	}
}

// edit: posting the same file again with another body sends Update.
func (s *scenario) edit(t *testing.T) {
	since := s.peer.lastSeq()
	p := s.writePost(t, "Second version of the body, edited.\n\n![A small gradient](gradient.png)\n")
	if out, err := s.fp.post(p); err != nil {
		t.Fatalf("fedpress post (edit): %v\n%s", err, out)
	}
	rec, detail := s.peer.waitInbox(waitLong, func(r inboxRecord) bool {
		return r.Seq > since && r.Type == "Update"
	})
	if rec == nil {
		t.Fatalf("no Update reached the peer within %s\n%s", waitLong, detail)
	}
	if rec.ObjectID != s.articleID {
		t.Errorf("Update of %q, want %q", rec.ObjectID, s.articleID)
	}
	if !rec.Verified || rec.Status/100 != 2 {
		t.Fatalf("Update: Fedify answered %d %q, verified=%v\nFedify log: %s\nJSON: %s", rec.Status, rec.Response, rec.Verified, rec.logText(), rec.JSON)
	}
	checkArticle(t, "Update", rec, articleTitle, s.permalink)
	time.Sleep(1 * time.Second)
	if ups := s.peer.matching(func(r inboxRecord) bool { return r.Seq > since && r.Type == "Update" }); len(ups) != 1 {
		t.Errorf("peer received %d Update, want 1:\n%s", len(ups), summarize(ups))
	}
	if creates := s.peer.matching(func(r inboxRecord) bool { return r.Seq > since && r.Type == "Create" }); len(creates) != 0 {
		t.Errorf("editing sent Create again:\n%s", summarize(creates))
	}
}

// reply: the peer answers the article, mentioning the blog actor as
// GoToSocial does; the page shows the reply as a comment.
func (s *scenario) reply(t *testing.T) {
	s.reply1Text = "First reply from Fedify, number 7391"
	id, err := s.peer.reply(map[string]any{"inReplyTo": s.articleID, "target": s.blogActor, "content": s.reply1Text})
	if err != nil {
		t.Fatalf("peer: reply: %v", err)
	}
	s.reply1 = id
	doc, detail := s.fp.waitPage(s.permalink, func(doc *html.Node) (bool, string) {
		return findText(doc, s.reply1Text) != nil, ""
	})
	if doc == nil {
		t.Fatalf("the reply %s is not on %s within %s\n%s", id, s.permalink, waitLong, detail)
	}
	s.reply1Shown = true
	c := commentOf(findText(doc, s.reply1Text))
	if c == nil {
		t.Errorf("the reply's text is on the page but not inside an element with id comment-N:\n%s", outline(findText(doc, s.reply1Text)))
	} else {
		handle := "@peer@" + strings.TrimPrefix(s.peer.base, "http://")
		if txt := textOf(c); !strings.Contains(txt, "Fedify Peer") || !strings.Contains(txt, handle) {
			t.Errorf("the comment does not name its author %q (%s):\n%s", "Fedify Peer", handle, render(c))
		}
	}
}

// nestedReply: a reply to the reply nests inside the first comment's list
// of children.
func (s *scenario) nestedReply(t *testing.T) {
	s.reply2Text = "Second reply, to the first one, number 8462"
	id, err := s.peer.reply(map[string]any{"inReplyTo": s.reply1, "target": s.blogActor, "content": s.reply2Text, "sharedInbox": true})
	if err != nil {
		t.Fatalf("peer: reply: %v", err)
	}
	s.reply2 = id
	doc, detail := s.fp.waitPage(s.permalink, func(doc *html.Node) (bool, string) {
		return findText(doc, s.reply2Text) != nil, ""
	})
	if doc == nil {
		t.Fatalf("the nested reply %s is not on %s within %s\n%s", id, s.permalink, waitLong, detail)
	}
	s.reply2Shown = true
	outer := commentOf(findText(doc, s.reply1Text))
	inner := commentOf(findText(doc, s.reply2Text))
	if outer == nil || inner == nil || outer == inner {
		t.Fatalf("cannot tell the two comments apart (no distinct id=comment-N around each):\n%s\n%s", outline(findText(doc, s.reply1Text)), outline(findText(doc, s.reply2Text)))
	}
	// <li id=comment-1 class="comment depth-1"> … <ol class="children"> <li id=comment-2 class="comment depth-2">
	list := inner.Parent
	if list == nil || list.Data != "ol" || !hasClass(list, "children") || list.Parent != outer {
		t.Errorf("the second reply (%s) is not in the first's (%s) <ol class=children>: %s", attr(inner, "id"), attr(outer, "id"), outline(findText(doc, s.reply2Text)))
	}
	if !hasClass(outer, "depth-1") || !hasClass(inner, "depth-2") {
		t.Errorf("depth classes: first %q, second %q; want depth-1 and depth-2", attr(outer, "class"), attr(inner, "class"))
	}
}

// replyEdit: Update{Note} changes the comment's text.
func (s *scenario) replyEdit(t *testing.T) {
	newText := "Second reply, edited, number 9573"
	if err := s.peer.call("reply-edit", map[string]any{"id": s.reply2, "content": newText}, nil); err != nil {
		t.Fatalf("peer: reply-edit: %v", err)
	}
	doc, detail := s.fp.waitPage(s.permalink, func(doc *html.Node) (bool, string) {
		return findText(doc, newText) != nil && findText(doc, s.reply2Text) == nil, ""
	})
	if doc == nil {
		t.Fatalf("the edit of %s is not shown within %s (want %q and not %q)\n%s", s.reply2, waitLong, newText, s.reply2Text, detail)
	}
	s.reply2Text = newText
}

// replyDelete: Delete{Tombstone} removes the comment.
func (s *scenario) replyDelete(t *testing.T) {
	if err := s.peer.call("delete", map[string]any{"id": s.reply2}, nil); err != nil {
		t.Fatalf("peer: delete: %v", err)
	}
	doc, detail := s.fp.waitPage(s.permalink, func(doc *html.Node) (bool, string) {
		return findText(doc, s.reply2Text) == nil, ""
	})
	if doc == nil {
		t.Fatalf("the deleted reply %s is still on the page after %s\n%s", s.reply2, waitLong, detail)
	}
	if findText(doc, s.reply1Text) == nil {
		t.Errorf("deleting the nested reply removed its parent too")
	}
}

// authorAnswer: the author answers the peer's reply from the admin area; the
// answer shows in the thread and reaches the peer as a Create{Note} that
// answers the reply and that Fedify verifies.
func (s *scenario) authorAnswer(t *testing.T) {
	body, err := s.fp.get(s.permalink)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	c := commentOf(findText(doc, s.reply1Text))
	if c == nil {
		t.Fatalf("no comment element around the first reply")
	}
	commentID := strings.TrimPrefix(attr(c, "id"), "comment-")
	since := s.peer.lastSeq()
	admin, err := s.fp.login(authorUser, password)
	if admin == nil {
		t.Fatalf("admin login: %v", err)
	}
	csrf, err := admin.csrf("/admin/comments/?status=approved")
	if err != nil {
		t.Fatalf("CSRF token from the comments page: %v", err)
	}
	answer := "The author answers, number 4711"
	status, page, err := admin.post("/admin/comments/"+commentID+"/reply", url.Values{"csrf": {csrf}, "content": {answer}})
	if err != nil || status/100 != 2 {
		t.Fatalf("POST /admin/comments/%s/reply: %d %v\n%s", commentID, status, err, testproc.Excerpt(squash(page), 1500))
	}
	rec, detail := s.peer.waitInbox(waitLong, func(r inboxRecord) bool {
		return r.Seq > since && r.Type == "Create" && r.ObjectType == "Note"
	})
	if rec == nil {
		t.Fatalf("the author's answer did not reach the peer within %s\n%s", waitLong, detail)
	}
	if !rec.Verified || rec.Status/100 != 2 {
		t.Errorf("Fedify answered %d %q to the answer, verified=%v\nFedify log: %s", rec.Status, rec.Response, rec.Verified, rec.logText())
	}
	var act struct {
		Object struct {
			InReplyTo string `json:"inReplyTo"`
			Content   string `json:"content"`
		} `json:"object"`
	}
	if err := json.Unmarshal(rec.JSON, &act); err != nil {
		t.Fatalf("answer JSON: %v", err)
	}
	if act.Object.InReplyTo != s.reply1 || !strings.Contains(act.Object.Content, answer) {
		t.Errorf("the Note answers %q with %q; want %q containing %q", act.Object.InReplyTo, act.Object.Content, s.reply1, answer)
	}
	doc2, detail := s.fp.waitPage(s.permalink, func(doc *html.Node) (bool, string) {
		return findText(doc, answer) != nil, ""
	})
	if doc2 == nil {
		t.Fatalf("the answer is not on the page\n%s", detail)
	}
	if inner := commentOf(findText(doc2, answer)); inner == nil || inner.Parent == nil || inner.Parent.Parent != commentOf(findText(doc2, s.reply1Text)) {
		t.Errorf("the answer is not nested under the reply it answers")
	}
}

// boost: Announce shows as "Boosted by" in the pingbacks.
func (s *scenario) boost(t *testing.T) {
	if err := s.peer.call("boost", map[string]any{"object": s.articleID, "to": []string{s.blogActor}}, nil); err != nil {
		t.Fatalf("peer: boost: %v", err)
	}
	doc, detail := s.fp.waitPage(s.permalink, func(doc *html.Node) (bool, string) {
		return boostedByPeer(doc), ""
	})
	if doc == nil {
		t.Fatalf("no \"Boosted by\" Fedify Peer on %s within %s\n%s", s.permalink, waitLong, detail)
	}
}

// boostedByPeer: a "pingback-boost" entry says "Boosted by Fedify Peer"
// (web/templates/site/_comments.html).
func boostedByPeer(doc *html.Node) bool {
	for _, li := range byClass(doc, "pingback-boost") {
		if txt := textOf(li); strings.Contains(txt, "Boosted by") && strings.Contains(txt, "Fedify Peer") {
			return true
		}
	}
	return false
}

func (s *scenario) unboost(t *testing.T) {
	if err := s.peer.call("unboost", map[string]any{"object": s.articleID}, nil); err != nil {
		t.Fatalf("peer: unboost: %v", err)
	}
	if doc, detail := s.fp.waitPage(s.permalink, func(doc *html.Node) (bool, string) { return !boostedByPeer(doc), "" }); doc == nil {
		t.Fatalf("\"Boosted by\" Fedify Peer still on the page after Undo{Announce} and %s\n%s", waitLong, detail)
	}
}

// like: Like shows in the likes (count and facepile).
func (s *scenario) like(t *testing.T) {
	if err := s.peer.call("like", map[string]any{"object": s.articleID}, nil); err != nil {
		t.Fatalf("peer: like: %v", err)
	}
	doc, detail := s.fp.waitPage(s.permalink, func(doc *html.Node) (bool, string) {
		return likedByPeer(doc, s.peer.actor), ""
	})
	if doc == nil {
		t.Fatalf("no like by Fedify Peer on %s within %s (looked for an element whose class or id says \"like\" naming the peer)\n%s", s.permalink, waitLong, detail)
	}
}

// likedByPeer: the "likes" section counts one like and its facepile names
// the peer (web/templates/site/article.html).
func likedByPeer(doc *html.Node, actor string) bool {
	for _, sec := range byClass(doc, "likes") {
		blob := textOf(sec) + " " + attrsOf(sec)
		if strings.Contains(textOf(sec), "1 like") && (strings.Contains(blob, "Fedify Peer") || strings.Contains(blob, actor)) {
			return true
		}
	}
	return false
}

func (s *scenario) unlike(t *testing.T) {
	if err := s.peer.call("unlike", map[string]any{"object": s.articleID}, nil); err != nil {
		t.Fatalf("peer: unlike: %v", err)
	}
	if doc, detail := s.fp.waitPage(s.permalink, func(doc *html.Node) (bool, string) { return !likedByPeer(doc, s.peer.actor), "" }); doc == nil {
		t.Fatalf("the like is still on the page after Undo{Like} and %s\n%s", waitLong, detail)
	}
}

// missingParent: a reply whose parent fedpress never received (a note the
// peer published without delivering it) makes fedpress fetch the parent
// with a signed GET, which Fedify verifies (the peer's notes require one);
// both then show, the reply nested under its parent.
func (s *scenario) missingParent(t *testing.T) {
	parentText := "An undelivered parent, number 3826"
	parent, err := s.peer.reply(map[string]any{"inReplyTo": s.articleID, "target": s.blogActor, "content": parentText, "deliver": false})
	if err != nil {
		t.Fatalf("peer: publish the parent: %v", err)
	}
	childText := "A reply to the undelivered parent, number 4937"
	if _, err := s.peer.reply(map[string]any{"inReplyTo": parent, "target": s.blogActor, "content": childText}); err != nil {
		t.Fatalf("peer: reply: %v", err)
	}
	doc, detail := s.fp.waitPage(s.permalink, func(doc *html.Node) (bool, string) {
		return findText(doc, childText) != nil && findText(doc, parentText) != nil, ""
	})
	path := strings.TrimPrefix(parent, s.peer.base)
	var gets []request
	if reqs, err := s.peer.requests(); err == nil {
		for _, r := range reqs {
			if r.Method == http.MethodGet && r.URL == path {
				gets = append(gets, r)
			}
		}
	}
	if doc == nil {
		t.Fatalf("the reply and its fetched parent are not both on the page within %s; fedpress's GETs of the parent: %v\n%s", waitLong, gets, detail)
	}
	verified := false
	for _, r := range gets {
		verified = verified || (r.Status == http.StatusOK && r.SignedKey != "")
	}
	if !verified {
		t.Errorf("the parent shows, but no signed GET of %s that Fedify verified is in the peer's log: %v", path, gets)
	}
	outer, inner := commentOf(findText(doc, parentText)), commentOf(findText(doc, childText))
	if outer == nil || inner == nil || inner.Parent == nil || inner.Parent.Parent != outer || !hasClass(inner.Parent, "children") {
		t.Errorf("the reply is not nested under its fetched parent: %s", outline(findText(doc, childText)))
	}
}

// directMessage: a direct reply never shows on the public page. A public
// reply sent after it tells when fedpress has processed it.
func (s *scenario) directMessage(t *testing.T) {
	secret := "A direct message, never public, number 1604"
	if _, err := s.peer.reply(map[string]any{"inReplyTo": s.articleID, "target": s.blogActor, "content": secret, "visibility": "direct"}); err != nil {
		t.Fatalf("peer: direct reply: %v", err)
	}
	marker := "A public reply after the direct one, number 2715"
	if _, err := s.peer.reply(map[string]any{"inReplyTo": s.articleID, "target": s.blogActor, "content": marker}); err != nil {
		t.Fatalf("peer: reply: %v", err)
	}
	doc, detail := s.fp.waitPage(s.permalink, func(doc *html.Node) (bool, string) { return findText(doc, marker) != nil, "" })
	if doc == nil {
		t.Fatalf("the public reply sent after the direct message is not shown within %s\n%s", waitLong, detail)
	}
	// The heading counts what the list shows: the direct message is in neither.
	shown := len(byClass(doc, "comment"))
	if h := squash(textOf(byID(doc, "comments-title"))); !strings.HasPrefix(h, fmt.Sprintf("%d comment", shown)) {
		t.Errorf("the heading says %q but the page lists %d comments", h, shown)
	}
	time.Sleep(500 * time.Millisecond)
	page, err := s.fp.get(s.permalink)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(page, "number 1604") {
		t.Errorf("the direct message shows on the public page %s", s.permalink)
	}
	for _, feed := range []string{"/comments/feed.xml", "/feed.xml"} {
		if body, err := s.fp.get(s.fp.base + feed); err == nil && strings.Contains(body, "number 1604") {
			t.Errorf("the direct message shows in %s", feed)
		}
	}
}

// noDuplicates: by the end, the peer still has exactly one Create for the
// article.
func (s *scenario) noDuplicates(t *testing.T) {
	creates := s.peer.matching(func(r inboxRecord) bool { return r.Type == "Create" && r.ObjectID == s.articleID })
	if len(creates) != 1 {
		t.Errorf("peer received %d Create for %s by the end, want 1:\n%s", len(creates), s.articleID, summarize(creates))
	}
	var unverified []inboxRecord
	for _, r := range s.peer.matching(func(inboxRecord) bool { return true }) {
		if !r.Verified {
			unverified = append(unverified, r)
		}
	}
	for _, r := range unverified {
		t.Errorf("Fedify did not accept %s %s at %s: %d %q\nFedify log: %s", r.Type, r.ID, r.Path, r.Status, r.Response, r.logText())
	}
}

// signedGets: every GET fedpress made of the peer (actor, notes,
// collections) carried a signature that Fedify verified, with a key whose
// owner Fedify could fetch; the notes and collections require one.
func (s *scenario) signedGets(t *testing.T) {
	reqs, err := s.peer.requests()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range reqs {
		if r.Method != http.MethodGet || strings.HasPrefix(r.URL, "/.well-known/") || strings.HasPrefix(r.URL, "/nodeinfo/") {
			continue
		}
		n++
		if r.SignedKey == "" || r.KeyOwner == "" || r.Status != http.StatusOK {
			t.Errorf("fedpress's GET was not verified by Fedify: %s", r)
		}
	}
	if n == 0 {
		t.Errorf("fedpress never fetched the peer's actor (it needs its key):\n%s", requestsText(reqs))
	}
}

// articleDelete: deleting the article in the admin area sends one Delete
// to the peer; the permalink and the id answer 410 Gone.
func (s *scenario) articleDelete(t *testing.T) {
	numeric := s.articleID[strings.LastIndex(s.articleID, "/")+1:]
	since := s.peer.lastSeq()
	admin, err := s.fp.login(authorUser, password)
	if admin == nil {
		t.Fatalf("admin login: %v", err)
	}
	if err != nil {
		t.Errorf("the login page does not load (logged in anyway with a token of the test's own): %v", err)
	}
	csrf, err := admin.csrf("/admin/articles/" + numeric + "/edit/")
	if err != nil {
		t.Fatalf("CSRF token from the edit page: %v", err)
	}
	status, body, err := admin.post("/admin/articles/"+numeric+"/delete", url.Values{"csrf": {csrf}})
	if err != nil || status/100 != 2 {
		t.Fatalf("POST /admin/articles/%s/delete: %d %v\n%s", numeric, status, err, testproc.Excerpt(squash(body), 1500))
	}
	rec, detail := s.peer.waitInbox(waitLong, func(r inboxRecord) bool {
		return r.Seq > since && r.Type == "Delete" && r.ObjectID == s.articleID
	})
	if rec == nil {
		t.Fatalf("no Delete of the article reached the peer within %s\n%s", waitLong, detail)
	}
	if rec.ObjectID != s.articleID || !rec.Verified || rec.Status/100 != 2 {
		t.Errorf("Delete of %q (want %q): Fedify answered %d %q, verified=%v\nFedify log: %s\nJSON: %s", rec.ObjectID, s.articleID, rec.Status, rec.Response, rec.Verified, rec.logText(), rec.JSON)
	}
	time.Sleep(1 * time.Second)
	if dels := s.peer.matching(func(r inboxRecord) bool { return r.Seq > since && r.Type == "Delete" && r.ObjectID == s.articleID }); len(dels) != 1 {
		t.Errorf("peer received %d Delete of the article, want 1:\n%s", len(dels), summarize(dels))
	}
	s.answerRetracted(t, since)
	for _, u := range []string{s.permalink, s.articleID} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusGone {
			t.Errorf("GET %s after the delete: %s, want 410 Gone", u, resp.Status)
		}
	}
}

// unfollow: Undo{Follow} is accepted (2xx).
func (s *scenario) unfollow(t *testing.T) {
	for actor := range s.followIDs {
		if err := s.peer.call("unfollow", map[string]any{"target": actor}, nil); err != nil {
			t.Errorf("peer: unfollow %s: %v", actor, err)
		}
	}
}

// alternateAS2 reads <link rel=alternate type=application/activity+json>
// from the permalink page.
func (s *scenario) alternateAS2(t *testing.T) string {
	body, err := s.fp.get(s.permalink)
	if err != nil {
		return ""
	}
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return ""
	}
	href := ""
	walk(doc, func(n *html.Node) bool {
		if n.Type == html.ElementNode && n.Data == "link" && attr(n, "rel") == "alternate" && isAS2(attr(n, "type")) {
			href = attr(n, "href")
		}
		return href == ""
	})
	return href
}

// ---------------------------------------------------------------- fedpress

type fedpress struct {
	bin, data, base, host string
	out                   *testproc.Buffer
}

func startFedpress(t *testing.T, bin, tmp string) *fedpress {
	t.Helper()
	fp := &fedpress{bin: bin, data: filepath.Join(tmp, "data"), host: testproc.Addr(t)}
	fp.base = "http://" + fp.host
	in := strings.NewReader(password + "\n")
	if out, err := fp.run(in, []string{"author", "add"}, "--username", authorUser, "--name", authorName, "--password-stdin"); err != nil {
		t.Fatalf("fedpress author add: %v\n%s", err, out)
	}
	p, err := testproc.Start(testproc.Command(context.Background(), bin, append([]string{"serve", "--addr", fp.host, "--log-level", "debug"}, fp.common()...)...), nil)
	if err != nil {
		t.Fatalf("start fedpress: %v", err)
	}
	fp.out = p.Out
	t.Cleanup(func() { p.Stop(os.Interrupt, 5*time.Second) })
	if err := p.WaitReady(waitLong, 100*time.Millisecond, func() error { return testproc.Healthy(fp.base) }); err != nil {
		t.Fatalf("fedpress: %v", err)
	}
	return fp
}

// common flags of every fedpress command.
func (fp *fedpress) common() []string {
	return []string{"--data", fp.data, "--base-url", fp.base, "--allow-private-peers"}
}

// post runs `fedpress post FILE`.
func (fp *fedpress) post(file string) (string, error) {
	return fp.run(nil, []string{"post"}, file)
}

// run runs a fedpress command: its words, the common flags, then the rest
// (flags stop at the first argument that is not one).
func (fp *fedpress) run(stdin io.Reader, words []string, rest ...string) (string, error) {
	full := append(append(append([]string{}, words...), fp.common()...), rest...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := testproc.Command(ctx, fp.bin, full...)
	cmd.Stdin = stdin
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (fp *fedpress) get(u string) (string, error) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", "text/html")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(body), fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return string(body), nil
}

// waitPage polls the page until ok holds; it returns the document, or nil
// and what the page last looked like.
func (fp *fedpress) waitPage(u string, ok func(*html.Node) (bool, string)) (*html.Node, string) {
	deadline := time.Now().Add(waitLong)
	var last string
	for {
		body, err := fp.get(u)
		if err != nil {
			last = fmt.Sprintf("%v\n%s", err, testproc.Excerpt(body, 2000))
		} else if doc, perr := html.Parse(strings.NewReader(body)); perr != nil {
			last = perr.Error()
		} else if findText(doc, articleTitle) == nil {
			// Guards the checks that something is gone: the page must
			// still be the article's.
			last = "the page does not show the article's title:\n" + testproc.Excerpt(squash(body), 1500)
		} else {
			good, why := ok(doc)
			if good {
				return doc, ""
			}
			last = why + "\nthe page's comments and interactions:\n" + interactionsOutline(doc, body)
		}
		if time.Now().After(deadline) {
			return nil, last
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// adminClient is a logged-in browser session of the admin area.
type adminClient struct {
	base string
	c    *http.Client
}

// login signs in through /admin/login like a browser: the form's CSRF
// token and cookie, then the session cookie. When the login page cannot be
// loaded, the error says so and login tries once more with a
// double-submit token of its own (cookie fedpress_csrf = form field), so
// that what comes after the login can still be checked.
func (fp *fedpress) login(user, pass string) (*adminClient, error) {
	jar, _ := cookiejar.New(nil)
	a := &adminClient{base: fp.base, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	var via []string
	a.c.CheckRedirect = func(req *http.Request, prior []*http.Request) error {
		via = append(via, fmt.Sprintf("%d -> %s", req.Response.StatusCode, req.URL.RequestURI()))
		if len(prior) >= 5 {
			return fmt.Errorf("redirect loop")
		}
		return nil
	}
	var pageErr error
	token, err := a.csrf("/admin/login")
	if err != nil {
		pageErr = fmt.Errorf("GET /admin/login: %v; redirects: %s", err, strings.Join(via, ", "))
		token = "interop-double-submit-token"
		u, _ := url.Parse(fp.base + "/admin/login")
		jar.SetCookies(u, []*http.Cookie{{Name: "fedpress_csrf", Value: token, Path: "/"}})
	}
	a.c.CheckRedirect = nil
	status, body, err := a.post("/admin/login", url.Values{"csrf": {token}, "username": {user}, "password": {pass}, "next": {"/admin/"}})
	if err != nil {
		return nil, errors.Join(pageErr, err)
	}
	if status != http.StatusOK || strings.Contains(body, `action="/admin/login"`) {
		return nil, errors.Join(pageErr, fmt.Errorf("POST /admin/login: %d\n%s", status, testproc.Excerpt(squash(body), 1500)))
	}
	return a, pageErr
}

// csrf reads the csrf field of the first form on page.
func (a *adminClient) csrf(page string) (string, error) {
	resp, err := a.c.Get(a.base + page)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	doc, err := html.Parse(resp.Body)
	if err != nil {
		return "", err
	}
	token := ""
	walk(doc, func(n *html.Node) bool {
		if token == "" && n.Type == html.ElementNode && n.Data == "input" && attr(n, "name") == "csrf" {
			token = attr(n, "value")
		}
		return token == ""
	})
	if token == "" {
		return "", fmt.Errorf("GET %s: %s, no csrf field", page, resp.Status)
	}
	return token, nil
}

// post submits a form, following redirects; it returns the final status.
func (a *adminClient) post(path string, form url.Values) (int, string, error) {
	resp, err := a.c.PostForm(a.base+path, form)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp.StatusCode, string(body), err
}

// ---------------------------------------------------------------- peer

type peer struct {
	base, actor string
	proc        *testproc.Proc
	out         *testproc.Buffer
}

var readyRE = regexp.MustCompile(`(?m)^READY (\d+)\s*$`)

func startPeer(t *testing.T, nodeBin, dir string) *peer {
	t.Helper()
	cmd := exec.Command(nodeBin, "peer.mjs", "0")
	cmd.Dir = dir
	p, err := testproc.Start(cmd, nil)
	if err != nil {
		t.Fatalf("start the Fedify peer: %v", err)
	}
	t.Cleanup(func() { p.Stop(os.Interrupt, 5*time.Second) })
	return &peer{proc: p, out: p.Out}
}

func (p *peer) waitReady(t *testing.T) {
	t.Helper()
	err := p.proc.WaitReady(30*time.Second, 50*time.Millisecond, func() error {
		m := readyRE.FindStringSubmatch(p.out.String())
		if m == nil {
			return errors.New("no READY line yet")
		}
		p.base = "http://127.0.0.1:" + m[1]
		p.actor = p.base + "/users/peer"
		return nil
	})
	if err != nil {
		t.Fatalf("the Fedify peer: %v", err)
	}
}

// call POSTs a control operation; a non-2xx answer is an error carrying
// the peer's message (Fedify's error when fedpress refused a delivery).
func (p *peer) call(op string, in, out any) error {
	body, _ := json.Marshal(in)
	resp, err := http.Post(p.base+"/control/"+op, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		var e struct{ Error string }
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s: %s", resp.Status, e.Error)
		}
		return fmt.Errorf("%s: %s", resp.Status, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (p *peer) reply(in map[string]any) (string, error) {
	var res struct{ ID string }
	err := p.call("reply", in, &res)
	return res.ID, err
}

type inboxRecord struct {
	Seq         int                `json:"seq"`
	At          string             `json:"at"`
	Path        string             `json:"path"`
	SharedInbox bool               `json:"sharedInbox"`
	Headers     map[string]*string `json:"headers"`
	Type        string             `json:"type"`
	ID          string             `json:"id"`
	Actor       string             `json:"actor"`
	ObjectType  string             `json:"objectType"`
	ObjectID    string             `json:"objectId"`
	JSON        json.RawMessage    `json:"json"`
	Raw         string             `json:"raw"`
	Verified    bool               `json:"verified"`
	Parsed      *parsedActivity    `json:"parsed"`
	Status      int                `json:"status"`
	Response    string             `json:"response"`
	Logs        []struct {
		Level, Category, Message string
	} `json:"logs"`
}

func (r inboxRecord) logText() string {
	var b strings.Builder
	for _, l := range r.Logs {
		fmt.Fprintf(&b, "\n  [%s %s] %s", l.Level, l.Category, l.Message)
	}
	return b.String()
}

type parsedActivity struct {
	Type        string        `json:"type"`
	ID          string        `json:"id"`
	Actor       string        `json:"actor"`
	ObjectIDs   []string      `json:"objectIds"`
	To          []string      `json:"to"`
	Cc          []string      `json:"cc"`
	Object      *parsedObject `json:"object"`
	ObjectError string        `json:"objectError"`
}

type parsedObject struct {
	Type         string   `json:"type"`
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Summary      string   `json:"summary"`
	Content      string   `json:"content"`
	URL          string   `json:"url"`
	AttributedTo []string `json:"attributedTo"`
	InReplyTo    string   `json:"inReplyTo"`
	Attachments  []struct {
		Type      string `json:"type"`
		URL       string `json:"url"`
		MediaType string `json:"mediaType"`
		Name      string `json:"name"`
	} `json:"attachments"`
	AttachmentsError string `json:"attachmentsError"`
	Tags             []struct {
		Type string `json:"type"`
		Name string `json:"name"`
		Href string `json:"href"`
	} `json:"tags"`
	TagsError string `json:"tagsError"`
}

func parsedErr(r *inboxRecord) string {
	if r.Parsed == nil {
		return "no parsed activity"
	}
	return r.Parsed.ObjectError
}

func (p *peer) inbox() ([]inboxRecord, error) {
	resp, err := http.Get(p.base + "/control/inbox")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var res struct {
		Inbox []inboxRecord `json:"inbox"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return nil, err
	}
	return res.Inbox, nil
}

// request is one HTTP request the peer served, with the key Fedify
// verified on it (GETs of the actor, notes and collections).
type request struct {
	Method    string `json:"method"`
	URL       string `json:"url"`
	Accept    string `json:"accept"`
	UserAgent string `json:"userAgent"`
	Signed    bool   `json:"signed"`
	SignedKey string `json:"signedKey"`
	KeyOwner  string `json:"keyOwner"`
	Status    int    `json:"status"`
}

func (r request) String() string {
	s := fmt.Sprintf("%s %s -> %d (signed=%v", r.Method, r.URL, r.Status, r.Signed)
	if r.Method == http.MethodGet {
		s += fmt.Sprintf(", key Fedify verified: %q owned by %q", r.SignedKey, r.KeyOwner)
	}
	return s + ", User-Agent: " + r.UserAgent + ")"
}

// requests lists what the peer served, except its control API.
func (p *peer) requests() ([]request, error) {
	resp, err := http.Get(p.base + "/control/requests")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var res struct {
		Requests []request `json:"requests"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return nil, err
	}
	var out []request
	for _, r := range res.Requests {
		if !strings.HasPrefix(r.URL, "/control/") {
			out = append(out, r)
		}
	}
	return out, nil
}

func requestsText(reqs []request) string {
	var b strings.Builder
	for _, r := range reqs {
		b.WriteString(r.String() + "\n")
	}
	return b.String()
}

func (p *peer) lastSeq() int {
	recs, _ := p.inbox()
	if len(recs) == 0 {
		return 0
	}
	return recs[len(recs)-1].Seq
}

// matching lists the records f selects, including any still in process.
func (p *peer) matching(f func(inboxRecord) bool) []inboxRecord {
	recs, _ := p.inbox()
	var out []inboxRecord
	for _, r := range recs {
		if f(r) {
			out = append(out, r)
		}
	}
	return out
}

// waitInbox polls the peer's inbox until a record that Fedify has finished
// processing (it has a status) matches; it returns it, or nil and a summary
// of what arrived.
func (p *peer) waitInbox(d time.Duration, f func(inboxRecord) bool) (*inboxRecord, string) {
	deadline := time.Now().Add(d)
	for {
		recs, err := p.inbox()
		for i := range recs {
			if recs[i].Status != 0 && f(recs[i]) {
				return &recs[i], ""
			}
		}
		if time.Now().After(deadline) {
			if err != nil {
				return nil, err.Error()
			}
			return nil, "the peer's inbox holds:\n" + summarize(recs)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

func summarize(recs []inboxRecord) string {
	if len(recs) == 0 {
		return "  (nothing)"
	}
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "  #%d %s %s{%s %s} from %s at %s -> %d verified=%v %s\n", r.Seq, r.At, r.Type, r.ObjectType, r.ObjectID, r.Actor, r.Path, r.Status, r.Verified, strings.TrimSpace(r.Response))
		if !r.Verified {
			fmt.Fprintf(&b, "     headers: %s\n     Fedify log: %s\n", headerText(r.Headers), r.logText())
		}
	}
	return b.String()
}

func headerText(h map[string]*string) string {
	var parts []string
	for k, v := range h {
		if v != nil {
			parts = append(parts, k+": "+*v)
		}
	}
	return strings.Join(parts, " | ")
}

func keyID(sig *string) string {
	if sig == nil {
		return "(no Signature header)"
	}
	if m := regexp.MustCompile(`keyId="([^"]*)"`).FindStringSubmatch(*sig); m != nil {
		return m[1]
	}
	return *sig
}

// ---------------------------------------------------------------- HTML

// findText returns the deepest text node containing s.
func findText(doc *html.Node, s string) *html.Node {
	var found *html.Node
	walk(doc, func(n *html.Node) bool {
		if found != nil {
			return false
		}
		if n.Type == html.TextNode && strings.Contains(n.Data, s) {
			found = n
		}
		return found == nil
	})
	return found
}

// commentOf is the nearest ancestor with id="comment-N".
func commentOf(n *html.Node) *html.Node {
	for ; n != nil; n = n.Parent {
		if n.Type == html.ElementNode && commentIDRE.MatchString(attr(n, "id")) {
			return n
		}
	}
	return nil
}

var commentIDRE = regexp.MustCompile(`^comment-\d+$`)

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

// byClass lists the elements having class.
func byClass(doc *html.Node, class string) []*html.Node {
	var out []*html.Node
	walk(doc, func(n *html.Node) bool {
		if n.Type == html.ElementNode && hasClass(n, class) {
			out = append(out, n)
		}
		return true
	})
	return out
}

func walk(n *html.Node, f func(*html.Node) bool) {
	if !f(n) {
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func attrsOf(n *html.Node) string {
	var b strings.Builder
	walk(n, func(m *html.Node) bool {
		for _, a := range m.Attr {
			b.WriteString(a.Val)
			b.WriteByte(' ')
		}
		return true
	})
	return b.String()
}

func textOf(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	walk(n, func(m *html.Node) bool {
		if m.Type == html.TextNode {
			b.WriteString(m.Data)
		}
		return true
	})
	return b.String()
}

func render(n *html.Node) string {
	var b bytes.Buffer
	_ = html.Render(&b, n)
	return testproc.Excerpt(b.String(), 3000)
}

// outline shows the ancestors of n, for failure messages.
func outline(n *html.Node) string {
	if n == nil {
		return "(text not found)"
	}
	var parts []string
	for m := n.Parent; m != nil && m.Type == html.ElementNode; m = m.Parent {
		s := "<" + m.Data
		if id := attr(m, "id"); id != "" {
			s += " id=" + id
		}
		if c := attr(m, "class"); c != "" {
			s += " class=\"" + c + "\""
		}
		parts = append(parts, s+">")
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, " ")
}

// interactionsOutline shows the comments, pingbacks and likes of an
// article page (classes from web/templates/site/), for failure messages.
func interactionsOutline(doc *html.Node, body string) string {
	var b strings.Builder
	if t := byID(doc, "comments-title"); t != nil {
		fmt.Fprintf(&b, "  heading: %s\n", squash(textOf(t)))
	}
	for _, class := range []string{"comment", "pingback", "likes"} {
		for _, n := range byClass(doc, class) {
			content := n
			if class == "comment" {
				content = firstByClass(n, "comment-body")
			}
			fmt.Fprintf(&b, "  <%s id=%q class=%q> %s\n", n.Data, attr(n, "id"), attr(n, "class"), testproc.Excerpt(squash(textOf(content)), 300))
		}
	}
	if b.Len() == 0 {
		return "  (no comments-title, comment, pingback or likes element)\n  page: " + testproc.Excerpt(squash(body), 1500)
	}
	return b.String()
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func byID(doc *html.Node, id string) *html.Node {
	var found *html.Node
	walk(doc, func(n *html.Node) bool {
		if found == nil && n.Type == html.ElementNode && attr(n, "id") == id {
			found = n
		}
		return found == nil
	})
	return found
}

func firstByClass(n *html.Node, class string) *html.Node {
	if all := byClass(n, class); len(all) > 0 {
		return all[0]
	}
	return n
}

// ---------------------------------------------------------------- helpers

func as(name string) string { return "https://www.w3.org/ns/activitystreams#" + name }

func isAS2(ct string) bool {
	ct = strings.ToLower(ct)
	return strings.HasPrefix(ct, "application/activity+json") || (strings.HasPrefix(ct, "application/ld+json") && strings.Contains(ct, "activitystreams"))
}

func rawField(raw json.RawMessage, path ...string) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[p]
	}
	b, _ := json.Marshal(v)
	return string(b)
}

var urlRE = regexp.MustCompile(`https?://\S+`)

func lastURL(out string) string {
	all := urlRE.FindAllString(out, -1)
	if len(all) == 0 {
		return ""
	}
	return all[len(all)-1]
}
