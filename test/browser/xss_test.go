package browser

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"html"
	"image/color"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"fedpress/federation"
	"fedpress/models"
	"fedpress/web"
)

// xssReport is what the page looks like after loading, read in the page.
type xssReport struct {
	XSS      *string  `json:"xss"`      // window.__xss, nil when undefined
	Location string   `json:"location"` // where the tab is after the wait
	BaseURI  string   `json:"baseURI"`
	Scripts  []string `json:"scripts"` // src, or "inline: …"
	OnAttrs  []string `json:"onAttrs"` // elements with an on* attribute
	BadURLs  []string `json:"badURLs"` // javascript:/data:/vbscript: URLs in attributes
	Inside   []string `json:"inside"`  // forbidden elements inside the scope
	Styled   []string `json:"styled"`  // elements with a style attribute inside the scope
	NoRel    []string `json:"noRel"`   // off-site links inside the scope without nofollow ugc noopener
	Items    int      `json:"items"`   // comments (or moderation rows) shown
	Markers  []string `json:"markers"` // "#N" markers found in the scope's text
	Mentions []struct {
		Href  string `json:"href"`
		Rel   string `json:"rel"`
		Class string `json:"class"`
		Text  string `json:"text"`
	} `json:"mentions"`
	Warnings int `json:"warnings"` // content warnings (details.content-warning)
}

// xssReportJS reads the report; SCOPE is a CSS selector list of the parts
// that show remote content, ITEM the selector of one comment.
const xssReportJS = `(() => {
  const SCOPE = %s, ITEM = %s;
  const r = {xss: typeof window.__xss === "undefined" ? null : String(window.__xss),
    location: location.href, baseURI: document.baseURI, scripts: [], onAttrs: [], badURLs: [], inside: [],
    styled: [], noRel: [], items: document.querySelectorAll(ITEM).length, markers: [], mentions: [], warnings: 0};
  const short = (el) => el.outerHTML.slice(0, 160);
  for (const s of document.scripts) r.scripts.push(s.src || ("inline: " + s.textContent.slice(0, 80)));
  const urlAttrs = ["href", "src", "action", "formaction", "data", "poster", "srcset", "background", "lowsrc", "xlink:href", "srcdoc", "content"];
  const bad = (v) => /^(javascript|data|vbscript):/i.test(v.replace(/[\u0000-\u0020\u007f-\u00a0]+/g, ""));
  for (const el of document.querySelectorAll("*")) {
    for (const a of Array.from(el.attributes)) {
      if (/^on/i.test(a.name)) r.onAttrs.push(el.tagName + "[" + a.name + "]: " + short(el));
      if (urlAttrs.includes(a.name.toLowerCase()) && bad(a.value)) r.badURLs.push(el.tagName + "[" + a.name + "]: " + short(el));
    }
    if ((el.tagName === "A" || el.tagName === "AREA") && el.href && /^(javascript|data|vbscript):$/i.test(new URL(el.href, location.href).protocol))
      r.badURLs.push("resolved " + el.tagName + ": " + short(el));
  }
  const scopes = Array.from(document.querySelectorAll(SCOPE));
  const forbidden = "script,style,link,meta,base,iframe,frame,object,embed,applet,form,input,button,textarea,select,svg,math,template,video,audio,source,noscript,xmp,plaintext,marquee,img:not(.avatar):not(.emoji):not(.attachments img)";
  for (const s of scopes) {
    for (const el of s.querySelectorAll(forbidden)) r.inside.push(short(el));
    for (const el of s.querySelectorAll("[style]")) r.styled.push(short(el));
    for (const a of s.querySelectorAll("a[href]")) {
      const u = new URL(a.href, location.href);
      const rel = (a.getAttribute("rel") || "").split(/\s+/);
      if (u.origin !== location.origin && !["nofollow", "ugc", "noopener"].every(t => rel.includes(t))) r.noRel.push(short(a));
    }
    for (const m of s.textContent.matchAll(/payload #(\d+)/g)) r.markers.push(m[1]);
    for (const a of s.querySelectorAll("a.mention, a.hashtag"))
      r.mentions.push({href: a.getAttribute("href") || "", rel: a.getAttribute("rel") || "", class: a.className, text: a.textContent});
    r.warnings += s.querySelectorAll("details.content-warning").length;
  }
  return r;
})()`

func reportJS(scope, item string) string {
	return fmt.Sprintf(xssReportJS, jsString(scope), jsString(item))
}

// fakeInstance is a remote fediverse server on loopback: it serves actor
// documents (with the key that signs the replies) and small images.
type fakeInstance struct {
	srv    *httptest.Server
	base   string
	key    *rsa.PrivateKey
	pubPEM string

	mu     sync.Mutex
	actors map[string][]byte // path → actor JSON
}

func newFakeInstance(t *testing.T) *fakeInstance {
	t.Helper()
	privPEM, pubPEM, err := federation.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	key, err := federation.ParsePrivateKeyPEM(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeInstance{key: key, pubPEM: pubPEM, actors: map[string][]byte{}}
	img := pngBytes(t, 16, 16, color.RGBA{200, 120, 40, 255})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/canary.html" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(canaryHTML))
			return
		}
		if strings.HasPrefix(r.URL.Path, "/img/") {
			w.Header().Set("Content-Type", "image/png")
			w.Write(img)
			return
		}
		f.mu.Lock()
		doc, ok := f.actors[r.URL.Path]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/activity+json")
		w.Write(doc)
	}))
	t.Cleanup(f.srv.Close)
	f.base = f.srv.URL
	return f
}

// actor registers an actor document and returns its id.
func (f *fakeInstance) actor(t *testing.T, path, username, name, url, icon string) string {
	t.Helper()
	id := f.base + path
	doc := map[string]any{
		"@context":          []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":                id,
		"type":              "Person",
		"preferredUsername": username,
		"name":              name,
		"summary":           name,
		"url":               url,
		"icon":              map[string]any{"type": "Image", "mediaType": "image/png", "url": icon},
		"inbox":             id + "/inbox",
		"outbox":            id + "/outbox",
		"followers":         id + "/followers",
		"publicKey":         map[string]any{"id": id + "#main-key", "owner": id, "publicKeyPem": f.pubPEM},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.actors[path] = b
	f.mu.Unlock()
	return id
}

// deliver signs an activity with the actor's key and posts it to inbox.
func (f *fakeInstance) deliver(inbox, actor string, activity map[string]any) (int, string, error) {
	body, err := json.Marshal(activity)
	if err != nil {
		return 0, "", err
	}
	req, err := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", `application/activity+json`)
	req.Header.Set("Accept", "application/activity+json")
	if err := (federation.Signer{KeyID: actor + "#main-key", Key: f.key}).SignRequest(req, body); err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(resp.Body)
	return resp.StatusCode, out.String(), nil
}

// TestBrowserXSSCorpus (issue “Conversations”): replies carrying an XSS
// corpus in every field a remote reply has must run nothing in a real
// browser, on the article page and in the moderation list. The replies
// come in as signed ActivityPub Creates through the shared inbox, the way
// Mastodon sends them; the hostile URLs the inbox drops before storing
// are also written straight into the store (as the inbox would store the
// rest: content through web.SanitizeRemote), so the pages' own URL checks
// are tested too.
func TestBrowserXSSCorpus(t *testing.T) {
	chromiumPath(t)
	t.Parallel()
	srv := newServer(t)
	const user, pass = "xavier", "xss-corpus-password"
	if out, err := srv.cli(pass+"\n", []string{"author", "add"}, "--username", user, "--name", "Xavier Author", "--password-stdin"); err != nil {
		t.Fatalf("fedpress author add: %v\n%s", err, out)
	}
	post := filepath.Join(t.TempDir(), "post.md")
	if err := os.WriteFile(post, []byte("---\ntitle: Conversations\ntags: [xss]\n---\nReplies below come from other servers.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := srv.cli("", []string{"post"}, post)
	if err != nil {
		t.Fatalf("fedpress post: %v\n%s", err, out)
	}
	permalink := strings.TrimPrefix(strings.TrimPrefix(lastLine(out), "created "), srv.base)
	if !strings.HasPrefix(permalink, "/") {
		t.Fatalf("fedpress post printed no permalink on %s:\n%s", srv.base, out)
	}
	srv.start(t, "--allow-private-peers")
	remote := newFakeInstance(t)
	t.Logf("fedpress at %s, article %s, fake instance at %s", srv.base, permalink, remote.base)

	b := newBrowser(t, "reader")
	if status, err := b.open(srv.base + permalink); err != nil || status != 200 {
		t.Fatalf("GET %s: %d, %v", permalink, status, err)
	}
	before, err := eval[xssReport](b, reportJS("#comments", ".comment-list li.comment"))
	if err != nil {
		t.Fatal(err)
	}
	articleID, _ := eval[string](b, `(document.querySelector('link[rel=alternate][type="application/activity+json"]')||{href:""}).href`)
	if articleID == "" {
		t.Fatalf("the article page has no <link rel=alternate type=application/activity+json>: cannot address replies")
	}

	// ---- through the inbox: one actor and one reply per payload.
	type sent struct {
		n    int
		name string
	}
	var expected []sent
	var deliveryErrs []string
	now := time.Now().UTC()
	send := func(n int, name, content, summary, actorName, username, actorURL, attachURL, emojiURL string) {
		actor := remote.actor(t, fmt.Sprintf("/users/p%d", n), username, actorName, actorURL, remote.base+"/img/avatar.png")
		note := map[string]any{
			"id": fmt.Sprintf("%s/notes/%d", actor, n), "type": "Note", "attributedTo": actor,
			"inReplyTo": articleID, "to": []string{"https://www.w3.org/ns/activitystreams#Public"}, "cc": []string{actor + "/followers"},
			"content": content, "url": actorURL, "published": now.Add(time.Duration(n) * time.Second).Format(time.RFC3339),
			"attachment": []any{map[string]any{"type": "Document", "mediaType": "image/png", "url": attachURL, "name": actorName}},
			"tag":        []any{map[string]any{"type": "Emoji", "name": fmt.Sprintf(":xss%d:", n), "icon": map[string]any{"type": "Image", "url": emojiURL}}},
		}
		if summary != "" {
			note["summary"], note["sensitive"] = summary, true
		}
		act := map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams", "id": fmt.Sprintf("%s/activities/%d", actor, n), "type": "Create",
			"actor": actor, "to": note["to"], "cc": note["cc"], "object": note,
		}
		status, body, err := remote.deliver(srv.base+"/inbox", actor, act)
		if err != nil || status != http.StatusAccepted {
			deliveryErrs = append(deliveryErrs, fmt.Sprintf("payload #%d %s: POST /inbox → %d %s %v", n, name, status, body, err))
			return
		}
		expected = append(expected, sent{n, name})
	}
	for i, p := range xssCorpus {
		n := i + 1
		h := fill(p.html, n)
		content := fmt.Sprintf("<p>payload #%d</p>%s <p>emoji :xss%d: end</p>", n, h, n)
		summary := ""
		if n%2 == 0 {
			summary = "CW " + h
		}
		username := fmt.Sprintf("p%d", n)
		if n%3 == 0 {
			username = h
		}
		urlField := remote.base + fmt.Sprintf("/@p%d", n)
		attach, emoji := remote.base+"/img/a.png", remote.base+"/img/e.png"
		if p.url != "" {
			u := fill(p.url, n)
			urlField, attach, emoji = u, u, u
		}
		send(n, p.name, content, summary, h, username, urlField, attach, emoji)
	}
	mentionN := len(xssCorpus) + 1
	send(mentionN, "mastodon-mention-hashtag",
		fmt.Sprintf("<p>payload #%d</p>", mentionN)+strings.ReplaceAll(mentionHTML, "REMOTE", remote.base), "",
		"Mastodon User", "masto", remote.base+"/@masto", remote.base+"/img/a.png", remote.base+"/img/e.png")

	// ---- straight into the store: the hostile URLs the inbox refuses to
	// store, as if an older version or another path had kept them.
	store, err := models.Open(context.Background(), models.Options{DataDir: srv.data})
	if err != nil {
		t.Fatalf("open the server's database: %v", err)
	}
	defer store.Close()
	ctx := context.Background()
	art, err := store.ArticleBySlug(ctx, strings.Split(strings.Trim(permalink, "/"), "/")[2])
	if err != nil {
		t.Fatalf("find the article in the store: %v", err)
	}
	stored := 0
	for i, p := range xssCorpus {
		if p.url == "" {
			continue
		}
		n := 100 + i + 1
		h, u := fill(p.html, n), fill(p.url, n)
		ra := &models.RemoteActor{
			URI: fmt.Sprintf("%s/users/s%d", remote.base, n), Type: "Person", Username: fmt.Sprintf("s%d", n), Host: strings.TrimPrefix(remote.base, "http://"),
			Name: h, Summary: web.SanitizeRemote(h), URL: u, AvatarURL: u, Inbox: remote.base + "/inbox",
		}
		if err := store.UpsertRemoteActor(ctx, ra); err != nil {
			t.Fatalf("store remote actor: %v", err)
		}
		att, _ := json.Marshal([]models.Attachment{{URL: u, MediaType: "image/png", Name: h}, {URL: u, MediaType: "text/html", Name: h}})
		emo, _ := json.Marshal([]models.Emoji{{Name: fmt.Sprintf(":xss%d:", n), URL: u}})
		obj := fmt.Sprintf("%s/notes/s%d", remote.base, n)
		in := &models.Interaction{
			ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceActivityPub, Status: models.StatusApproved,
			AuthorName: h, AuthorURL: u, RemoteActorID: &ra.ID, ObjectURI: &obj, URL: u, InReplyTo: articleID,
			Title:   h,
			Content: web.SanitizeRemote(fmt.Sprintf("<p>payload #%d</p>%s <p>emoji :xss%d: end</p>", n, h, n)),
			Summary: html.EscapeString(strings.TrimSpace(web.PlainText(h))), Sensitive: n%2 == 0,
			Attachments: string(att), Emojis: string(emo), Visibility: "public", PublishedAt: now.Add(time.Duration(n) * time.Second),
		}
		if _, err := store.CreateInteraction(ctx, in); err != nil {
			t.Fatalf("store comment #%d: %v", n, err)
		}
		// A visitor comment (no remote actor) whose website is the URL.
		web1 := &models.Interaction{
			ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceWeb, Status: models.StatusApproved,
			AuthorName: h, AuthorEmail: "x@example.org", AuthorURL: u, URL: u,
			Content:    web.SanitizeRemote(web.TextToHTML(fmt.Sprintf("payload #%d\n%s", n+100, h))),
			Visibility: "public", PublishedAt: now.Add(time.Duration(n+100) * time.Second),
		}
		if _, err := store.CreateInteraction(ctx, web1); err != nil {
			t.Fatalf("store visitor comment #%d: %v", n+100, err)
		}
		// A pingback and a like from the same actor: their sections show
		// titles, excerpts, names and avatars too.
		pobj, lobj := obj+"/pingback", obj+"/like"
		for _, extra := range []*models.Interaction{
			{ArticleID: art.ID, Kind: models.KindPingback, Source: models.SourcePingback, Status: models.StatusApproved,
				AuthorName: h, AuthorURL: u, URL: u, ObjectURI: &pobj, Title: h, Content: web.SanitizeRemote(h), Visibility: "public"},
			{ArticleID: art.ID, Kind: models.KindLike, Source: models.SourceActivityPub, Status: models.StatusApproved,
				AuthorName: h, RemoteActorID: &ra.ID, ObjectURI: &lobj, Visibility: "public"},
		} {
			if _, err := store.CreateInteraction(ctx, extra); err != nil {
				t.Fatalf("store %s #%d: %v", extra.Kind, n, err)
			}
		}
		expected = append(expected, sent{n, "store:" + p.name}, sent{n + 100, "store-visitor:" + p.name})
		stored++
	}
	t.Logf("sent %d replies through the inbox (%d refused), stored %d×4 interactions directly", len(xssCorpus)+1-len(deliveryErrs), len(deliveryErrs), stored)
	for _, e := range deliveryErrs {
		t.Errorf("inbox refused a reply: %s", e)
	}

	// ---- wait until the worker has applied every delivered reply.
	want := len(expected)
	reComment := regexp.MustCompile(`<li id="comment-\d+"`)
	deadline := time.Now().Add(30 * time.Second)
	got := 0
	for {
		status, body, err := srv.get(permalink)
		if err == nil && status == 200 {
			got = len(reComment.FindAllString(body, -1))
		}
		if got >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if got < want {
		t.Errorf("after 30s the article shows %d comments, want %d (the inbox worker did not apply every reply)", got, want)
	}

	check := func(t *testing.T, b *tab, page string, before xssReport, r xssReport) {
		t.Helper()
		if r.XSS != nil {
			t.Errorf("%s: window.__xss = %s: payload #%s ran", page, *r.XSS, *r.XSS)
		}
		if d := b.dialogList(); len(d) > 0 {
			t.Errorf("%s: JavaScript dialogs opened: %q", page, d)
		}
		if strings.Join(r.Scripts, "\n") != strings.Join(before.Scripts, "\n") {
			t.Errorf("%s: <script> elements changed: before %q, now %q", page, before.Scripts, r.Scripts)
		}
		if len(r.OnAttrs) > 0 {
			t.Errorf("%s: %d elements have on* attributes:\n  %s", page, len(r.OnAttrs), strings.Join(r.OnAttrs, "\n  "))
		}
		if len(r.BadURLs) > 0 {
			t.Errorf("%s: %d javascript:/data:/vbscript: URLs:\n  %s", page, len(r.BadURLs), strings.Join(r.BadURLs, "\n  "))
		}
		if len(r.Inside) > 0 {
			t.Errorf("%s: forbidden elements in the remote content:\n  %s", page, strings.Join(r.Inside, "\n  "))
		}
		if len(r.Styled) > 0 {
			t.Errorf("%s: style attributes in the remote content:\n  %s", page, strings.Join(r.Styled, "\n  "))
		}
		if len(r.NoRel) > 0 {
			t.Errorf("%s: off-site links without rel=\"nofollow ugc noopener\":\n  %s", page, strings.Join(r.NoRel, "\n  "))
		}
		if r.BaseURI != r.Location {
			t.Errorf("%s: document.baseURI is %s, not the page's own URL %s (a <base> got through)", page, r.BaseURI, r.Location)
		}
		if ex := b.exceptionList(); len(ex) > 0 {
			t.Logf("%s: uncaught exceptions (not failures by themselves): %q", page, ex)
		}
		seen := map[string]bool{}
		for _, m := range r.Markers {
			seen[m] = true
		}
		var missing []string
		for _, e := range expected {
			if !seen[fmt.Sprint(e.n)] {
				missing = append(missing, fmt.Sprintf("#%d %s", e.n, e.name))
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s: %d of %d replies are not shown, so their payloads were not tested there: %s", page, len(missing), len(expected), strings.Join(missing, ", "))
		}
		var mentions, hashtags int
		for _, m := range r.Mentions {
			ok := m.Rel == "nofollow ugc noopener" && strings.HasPrefix(m.Href, remote.base+"/")
			switch {
			case strings.Contains(m.Class, "hashtag"):
				hashtags++
			case strings.Contains(m.Class, "mention"):
				mentions++
			}
			if !ok {
				t.Errorf("%s: Mastodon link %q (class %q) has href %q rel %q; want the remote URL with rel=\"nofollow ugc noopener\"", page, m.Text, m.Class, m.Href, m.Rel)
			}
		}
		if mentions != 2 || hashtags != 1 {
			t.Errorf("%s: Mastodon markup: want 2 mention links and 1 hashtag link, got %d and %d: %+v", page, mentions, hashtags, r.Mentions)
		}
	}

	s := newSteps(t)
	s.run("detector-canary", nil, func(t *testing.T) {
		// The same checks on a page that does run a payload.
		c := b.incognito("canary")
		if status, err := c.open(remote.base + "/canary.html"); err != nil || status != 200 {
			t.Fatalf("GET canary: %d, %v", status, err)
		}
		if err := c.waitJS(`document.readyState === "complete"`, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		r, err := eval[xssReport](c, reportJS(".comment-list", ".comment-list li.comment"))
		if err != nil {
			t.Fatal(err)
		}
		if r.XSS == nil || *r.XSS != "1" || len(c.dialogList()) == 0 || len(r.Scripts) != 1 || len(r.OnAttrs) != 1 ||
			len(r.BadURLs) == 0 || len(r.Inside) < 3 || len(r.NoRel) != 1 {
			t.Fatalf("the checks do not see what the canary page runs: window.__xss=%v dialogs=%q scripts=%q on*=%q urls=%q forbidden=%q norel=%q",
				r.XSS, c.dialogList(), r.Scripts, r.OnAttrs, r.BadURLs, r.Inside, r.NoRel)
		}
	})
	s.run("article-page", nil, func(t *testing.T) {
		url := srv.base + permalink
		if status, err := b.open(url); err != nil || status != 200 {
			t.Fatalf("GET %s: %d, %v", permalink, status, err)
		}
		// Time for image errors, timers and a meta refresh to fire.
		time.Sleep(1500 * time.Millisecond)
		r, err := eval[xssReport](b, reportJS(".comment-list, .pingbacks, .likes", ".comment-list li.comment"))
		if err != nil {
			t.Fatalf("read the page after load: %v (now at %s)", err, b.location())
		}
		if r.Location != url {
			t.Errorf("the page moved from %s to %s after loading (a refresh or script navigated)", url, r.Location)
		}
		t.Logf("%s: %d comments, %d content warnings, scripts %q", permalink, r.Items, r.Warnings, r.Scripts)
		if r.Warnings == 0 {
			t.Errorf("no content warning (details.content-warning) is shown, but half the replies have one")
		}
		check(t, b, permalink, before, r)
		if t.Failed() {
			t.Logf("comments section:\n%s", b.html("#comments"))
		}
	})

	s.run("moderation-page", nil, func(t *testing.T) {
		admin := b.incognito("admin")
		if status, err := admin.open(srv.base + "/admin/login"); err != nil || status != 200 {
			t.Fatalf("GET /admin/login: %d, %v", status, err)
		}
		if err := admin.do(chromedp.SendKeys(chromedp.ID("username"), user), chromedp.SendKeys(chromedp.ID("password"), pass)); err != nil {
			t.Fatal(err)
		}
		if status, err := admin.submit(chromedp.Click(chromedp.CSS(`form[action="/admin/login"] button[type=submit]`))); err != nil || status != 200 {
			t.Fatalf("log in: %d, %v; at %s\n%s", status, err, admin.location(), admin.text())
		}
		base, err := eval[xssReport](admin, reportJS(".moderation-body", ".moderation-item"))
		if err != nil {
			t.Fatal(err)
		}
		url := srv.base + "/admin/comments/?status=approved"
		if status, err := admin.open(url); err != nil || status != 200 {
			t.Fatalf("GET %s: %d, %v", url, status, err)
		}
		time.Sleep(1500 * time.Millisecond)
		r, err := eval[xssReport](admin, reportJS(".moderation-body", ".moderation-item"))
		if err != nil {
			t.Fatalf("read the page after load: %v (now at %s)", err, admin.location())
		}
		if r.Location != url {
			t.Errorf("the page moved from %s to %s after loading", url, r.Location)
		}
		t.Logf("/admin/comments/?status=approved: %d rows, scripts %q", r.Items, r.Scripts)
		check(t, admin, "/admin/comments/", base, r)
	})
}

// canaryHTML is unsanitized remote content, served by the fake instance:
// the checks must flag every part of it, or they would pass vacuously.
const canaryHTML = `<!doctype html><title>canary</title><ol class="comment-list"><li class="comment"><div class="comment-content">
<p>payload #1</p><script>window.__xss = 1</script>
<img src="/nothing" onerror="alert('canary')">
<a href="javascript:alert(2)">js link</a>
<iframe srcdoc="<b>framed</b>"></iframe>
</div></li></ol>`

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
