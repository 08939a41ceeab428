package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"fedpress/models"
)

func TestArticleAdvertisesPingbackAndWebmention(t *testing.T) {
	b := newMentionBlog(t)
	rec := b.get(b.art.Permalink())
	if rec.Code != http.StatusOK {
		t.Fatalf("article page: %d", rec.Code)
	}
	if got := rec.Header().Get("X-Pingback"); got != "http://blog.test/xmlrpc" {
		t.Errorf("X-Pingback = %q", got)
	}
	if got := strings.Join(rec.Header().Values("Link"), ", "); !strings.Contains(got, `<http://blog.test/webmention>; rel="webmention"`) {
		t.Errorf("Link = %q", got)
	}
	body := rec.Body.String()
	for _, want := range []string{`<link rel="pingback" href="http://blog.test/xmlrpc">`, `<link rel="webmention" href="http://blog.test/webmention">`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

func TestPingbackCreateVerifiesSource(t *testing.T) {
	b := newMentionBlog(t)
	site := newMentionSite(t)
	good := site.page("/good", linkingPage("Bob on greetings", "I think", b.permalink()))
	bad := site.page("/bad", `<title>Cheap pills</title><p>No link at all.</p>`)

	for _, src := range []string{good, bad, good} { // the repeat must not duplicate
		rec := b.postXMLRPC(xmlrpcPing(src, b.permalink()))
		if rec.Code != http.StatusOK || faultCode(rec.Body.String()) != "" {
			t.Fatalf("ping %s: %d %s", src, rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
			t.Errorf("Content-Type %q", ct)
		}
	}
	if rows := b.mentions(); len(rows) != 2 {
		t.Fatalf("%d rows stored, want 2 (one per source)", len(rows))
	}
	// Nothing shows before verification.
	if page := b.get(b.art.Permalink()).Body.String(); strings.Contains(page, "Bob on greetings") || strings.Contains(page, "Cheap pills") {
		t.Fatal("unverified pingback shown")
	}

	b.verify()

	rows := b.mentions()
	if len(rows) != 1 || rows[0].URL != good || rows[0].Status != models.StatusApproved || rows[0].Kind != models.KindPingback {
		t.Fatalf("after verification: %+v", rows)
	}
	page := b.get(b.art.Permalink()).Body.String()
	for _, want := range []string{"Bob on greetings", `href="` + good + `"`, "I think this article is worth reading."} {
		if !strings.Contains(page, want) {
			t.Errorf("article page lacks %q", want)
		}
	}
	if strings.Contains(page, "Cheap pills") {
		t.Error("non-linking source shown")
	}

	// Pinging again after an edit of the source updates the entry.
	site.page("/good", linkingPage("Bob, revised", "Now I think", b.permalink()))
	if rec := b.postXMLRPC(xmlrpcPing(good, b.permalink())); faultCode(rec.Body.String()) != "" {
		t.Fatalf("repeat ping: %s", rec.Body)
	}
	b.verify()
	rows = b.mentions()
	if len(rows) != 1 || rows[0].Title != "Bob, revised" {
		t.Fatalf("after repeat: %+v", rows)
	}
}

func TestPingbackCreateFaults(t *testing.T) {
	b := newMentionBlog(t)
	b.liftRateLimits() // many requests from the one test address
	src := "https://bob.example/post"
	tests := []struct {
		name  string
		body  string
		fault string
	}{
		{"unknown article", xmlrpcPing(src, "http://blog.test/2024/03/nope/"), "32"},
		{"unknown AP id", xmlrpcPing(src, "http://blog.test/articles/12345"), "32"},
		{"other host", xmlrpcPing(src, "https://elsewhere.test/2024/03/hello/"), "33"},
		{"our home page", xmlrpcPing(src, "http://blog.test/"), "33"},
		{"source not a URL", xmlrpcPing("not a url", b.permalink()), "16"},
		{"source is target", xmlrpcPing(b.permalink(), b.permalink()), "0"},
		{"malformed XML", `<methodCall><methodName>pingback.ping</methodName><params>`, "-32700"},
		{"not XML", "source=a&target=b", "-32700"},
		{"empty body", "", "-32700"},
		{"other method", `<?xml version="1.0"?><methodCall><methodName>wp.getUsersBlogs</methodName><params/></methodCall>`, "-32601"},
		{"one parameter", `<methodCall><methodName>pingback.ping</methodName><params><param><value>x</value></param></params></methodCall>`, "-32602"},
		{"too large", xmlrpcPing(src+"?"+strings.Repeat("a", 70<<10), b.permalink()), "-32700"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := b.postXMLRPC(tt.body)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if got := faultCode(rec.Body.String()); got != tt.fault {
				t.Fatalf("fault %q, want %s: %s", got, tt.fault, rec.Body)
			}
		})
	}
	if rows := b.mentions(); len(rows) != 0 {
		t.Fatalf("refused pings stored: %+v", rows)
	}
	if rec := b.do(httptest.NewRequest(http.MethodGet, "/xmlrpc", nil)); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET /xmlrpc: %d", rec.Code)
	}
}
