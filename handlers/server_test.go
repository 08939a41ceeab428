package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/federation"
	"fedpress/models"
	"fedpress/models/modelstest"
	"fedpress/web"
)

// testServer is a full server on a real SQLite database in a temp folder.
type testServer struct {
	*Server
	Echo *echo.Echo
	t    *testing.T
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServerWith(t, modelstest.SQLite(t))
}

func newTestServerWith(t *testing.T, store *models.Store) *testServer {
	t.Helper()
	return buildTestServer(t, store, "http://blog.test", true)
}

// buildTestServer is a full server on store with the given public base URL
// and private-peers switch (true lets stand-ins on loopback federate).
func buildTestServer(t *testing.T, store *models.Store, base string, allowPrivate bool) *testServer {
	t.Helper()
	return buildTestServerTuned(t, store, base, allowPrivate, nil, nil)
}

// buildTestServerTuned is buildTestServer with the federation and handler
// configurations edited first (limits, budgets).
func buildTestServerTuned(t *testing.T, store *models.Store, base string, allowPrivate bool, fedCfg func(*federation.Config), cfg func(*Config)) *testServer {
	t.Helper()
	ctx := context.Background()
	if _, err := store.EnsureSettings(ctx, func() (string, string, string, string, error) {
		bp, bpub, err := federation.GenerateKeyPair()
		if err != nil {
			return "", "", "", "", err
		}
		ip, ipub, err := federation.GenerateKeyPair()
		return bp, bpub, ip, ipub, err
	}); err != nil {
		t.Fatal(err)
	}
	urls, err := federation.NewURLs(base)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	fc := federation.Config{URLs: urls, AllowPrivatePeers: allowPrivate}
	if fedCfg != nil {
		fedCfg(&fc)
	}
	fed, err := federation.NewService(fc, store, log)
	if err != nil {
		t.Fatal(err)
	}
	views, err := web.NewViews()
	if err != nil {
		t.Fatal(err)
	}
	hc := Config{URLs: urls, MaxUploadBytes: 1 << 20}
	if cfg != nil {
		cfg(&hc)
	}
	srv := New(store, fed, views, web.DirStore{Dir: t.TempDir()}, hc, log)
	e := echo.New()
	srv.Routes(e)
	return &testServer{Server: srv, Echo: e, t: t}
}

// do sends a request through the router and returns the recorded response.
func (ts *testServer) do(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	ts.Echo.ServeHTTP(rec, req)
	return rec
}

// get is a GET with optional header pairs.
func (ts *testServer) get(path string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return ts.do(req)
}

// postForm posts form values, with optional cookies.
func (ts *testServer) postForm(path string, form url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return ts.do(req)
}

// author creates an author directly in the store.
func (ts *testServer) author(username string) *models.Author {
	ts.t.Helper()
	priv, pub, err := federation.GenerateKeyPair()
	if err != nil {
		ts.t.Fatal(err)
	}
	a := &models.Author{Username: username, Name: strings.ToUpper(username[:1]) + username[1:], PasswordHash: "!", PrivateKeyPEM: priv, PublicKeyPEM: pub}
	if err := ts.Store.CreateAuthor(context.Background(), a); err != nil {
		ts.t.Fatal(err)
	}
	return a
}

// article publishes an article directly in the store.
func (ts *testServer) article(a *models.Author, slug, title, markdown string, published time.Time, tags ...string) *models.Article {
	ts.t.Helper()
	html, err := web.RenderMarkdown(markdown)
	if err != nil {
		ts.t.Fatal(err)
	}
	art, err := ts.Store.SaveArticle(context.Background(), 0, models.ArticleInput{
		Title: title, Slug: slug, Markdown: markdown, HTML: html, Status: models.StatusPublished,
		PublishedAt: &published, AuthorID: a.ID, Tags: tags,
	})
	if err != nil {
		ts.t.Fatal(err)
	}
	return art
}
