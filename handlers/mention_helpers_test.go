package handlers

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fedpress/models"
)

// Helpers of the pingback, webmention and remote-interaction tests.

// mentionSite stands in for another website: it serves whatever HTML the
// test puts at a path (404 elsewhere), on 127.0.0.1.
type mentionSite struct {
	srv   *httptest.Server
	mu    sync.Mutex
	pages map[string]string
}

func newMentionSite(t *testing.T) *mentionSite {
	t.Helper()
	m := &mentionSite{pages: map[string]string{}}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		body, ok := m.pages[r.URL.Path]
		m.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, body)
	}))
	t.Cleanup(m.srv.Close)
	return m
}

// page serves body at path and returns its URL.
func (m *mentionSite) page(path, body string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pages[path] = body
	return m.srv.URL + path
}

// mentionBlog is a test server with one published article.
type mentionBlog struct {
	*testServer
	art *models.Article
}

func newMentionBlog(t *testing.T) *mentionBlog {
	t.Helper()
	ts := newTestServer(t)
	a := ts.article(ts.author("ann"), "hello", "Hello readers", "Some *words* here.", time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC))
	return &mentionBlog{testServer: ts, art: a}
}

// permalink is the article's absolute permalink.
func (b *mentionBlog) permalink() string { return "http://blog.test" + b.art.Permalink() }

// apID is the article's ActivityPub id.
func (b *mentionBlog) apID() string {
	return "http://blog.test/articles/" + strconv.FormatUint(uint64(b.art.ID), 10)
}

// linkingPage is a source page whose h-entry links to target.
func linkingPage(title, text, target string) string {
	return `<!doctype html><title>` + title + `</title><article class="h-entry">
		<a class="p-author h-card" href="https://bob.example/">Bob Writer</a>
		<div class="e-content"><p>` + text + ` <a href="` + target + `">this article</a> is worth reading.</p></div></article>`
}

// verify runs the link verifier once, as RunLinkVerifier would.
func (b *mentionBlog) verify() {
	b.t.Helper()
	if _, err := b.Fed.VerifyDueLinks(context.Background()); err != nil {
		b.t.Fatal(err)
	}
}

// mentions lists the article's pingbacks and webmentions in any state the
// verifier manages.
func (b *mentionBlog) mentions() []models.Interaction {
	b.t.Helper()
	var out []models.Interaction
	for _, st := range []string{models.StatusVerifying, models.StatusApproved} {
		rows, err := b.Store.MentionsDue(context.Background(), st, time.Now().Add(48*time.Hour), 0, 100)
		if err != nil {
			b.t.Fatal(err)
		}
		for _, r := range rows {
			if r.ArticleID == b.art.ID {
				out = append(out, r)
			}
		}
	}
	return out
}

// xmlrpcPing is a pingback.ping call.
func xmlrpcPing(source, target string) string {
	esc := func(s string) string {
		return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
	}
	return `<?xml version="1.0"?><methodCall><methodName>pingback.ping</methodName><params>` +
		`<param><value><string>` + esc(source) + `</string></value></param>` +
		`<param><value><string>` + esc(target) + `</string></value></param></params></methodCall>`
}

// postXMLRPC posts an XML-RPC body to /xmlrpc.
func (ts *testServer) postXMLRPC(body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/xmlrpc", strings.NewReader(body))
	req.Header.Set("Content-Type", "text/xml")
	return ts.do(req)
}

var reFaultCode = regexp.MustCompile(`<name>faultCode</name><value><int>(-?\d+)</int>`)

// faultCode is the XML-RPC fault code of a response, or "" for a result.
func faultCode(body string) string {
	if m := reFaultCode.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}
