package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"fedpress/models"
)

func TestWebmentionCreate(t *testing.T) {
	b := newMentionBlog(t)
	b.liftRateLimits() // many requests from the one test address
	src := "https://bob.example/reply"
	tests := []struct {
		name   string
		form   url.Values
		status int
	}{
		{"valid", url.Values{"source": {src}, "target": {b.permalink()}}, http.StatusAccepted},
		{"valid AP id target", url.Values{"source": {src + "2"}, "target": {b.apID()}}, http.StatusAccepted},
		{"missing target", url.Values{"source": {src}}, http.StatusBadRequest},
		{"missing source", url.Values{"target": {b.permalink()}}, http.StatusBadRequest},
		{"relative source", url.Values{"source": {"/reply"}, "target": {b.permalink()}}, http.StatusBadRequest},
		{"source not http", url.Values{"source": {"javascript:alert(1)"}, "target": {b.permalink()}}, http.StatusBadRequest},
		{"target not a URL", url.Values{"source": {src}, "target": {"hello"}}, http.StatusBadRequest},
		{"target not ours", url.Values{"source": {src}, "target": {"https://elsewhere.test/2024/03/hello/"}}, http.StatusBadRequest},
		{"target is not an article", url.Values{"source": {src}, "target": {"http://blog.test/tag/news/"}}, http.StatusBadRequest},
		{"target article unknown", url.Values{"source": {src}, "target": {"http://blog.test/2024/03/nothing/"}}, http.StatusBadRequest},
		{"source equals target", url.Values{"source": {b.permalink()}, "target": {b.permalink()}}, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := b.postForm("/webmention", tt.form)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if rec.Header().Get("Location") != "" {
				t.Errorf("Location %q", rec.Header().Get("Location"))
			}
		})
	}
	if n := len(b.mentions()); n != 2 {
		t.Fatalf("%d stored, want 2", n)
	}

	// Values in the query string are not the form.
	req := httptest.NewRequest(http.MethodPost, "/webmention?source="+url.QueryEscape(src)+"&target="+url.QueryEscape(b.permalink()), nil)
	if rec := b.do(req); rec.Code != http.StatusBadRequest {
		t.Errorf("query-string webmention: %d", rec.Code)
	}
	// Oversized bodies are refused.
	big := url.Values{"source": {src + "?" + strings.Repeat("a", 70<<10)}, "target": {b.permalink()}}
	if rec := b.postForm("/webmention", big); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized webmention: %d", rec.Code)
	}
}

func TestWebmentionReplyShown(t *testing.T) {
	b := newMentionBlog(t)
	site := newMentionSite(t)
	reply := site.page("/replies/1", `<!doctype html><title>Carol's notes</title>
		<div class="h-entry"><a class="u-in-reply-to" href="`+b.permalink()+`">In reply to Ann</a>
		<p class="p-author h-card"><a class="u-url p-name" href="https://carol.example/">Carol</a></p>
		<div class="e-content">Lovely <strong>words</strong>, thank you.</div></div>`)
	gone := site.page("/replies/2", linkingPage("Soon gone", "See", b.permalink()))
	for _, src := range []string{reply, gone} {
		if rec := b.postForm("/webmention", url.Values{"source": {src}, "target": {b.permalink()}}); rec.Code != http.StatusAccepted {
			t.Fatalf("webmention %s: %d %s", src, rec.Code, rec.Body)
		}
	}
	b.verify()
	rows := b.mentions()
	if len(rows) != 2 {
		t.Fatalf("rows %+v", rows)
	}
	for _, r := range rows {
		if r.URL == reply && (r.Summary != models.MentionReply || r.AuthorName != "Carol" || r.Kind != models.KindWebmention) {
			t.Errorf("reply row: flavour %q author %q kind %q", r.Summary, r.AuthorName, r.Kind)
		}
	}
	page := b.get(b.art.Permalink()).Body.String()
	for _, want := range []string{"Carol&#39;s notes", "Lovely words, thank you.", "Soon gone"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}

	// The second source drops its link: re-verification removes it.
	site.page("/replies/2", `<title>Soon gone</title><p>Changed my mind.</p>`)
	if _, err := b.Fed.ReverifyLinks(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	page = b.get(b.art.Permalink()).Body.String()
	if strings.Contains(page, "Soon gone") {
		t.Error("source that stopped linking still shown")
	}
	if !strings.Contains(page, "Lovely words") {
		t.Error("reply lost on re-verification")
	}
}
