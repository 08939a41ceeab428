package handlers

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// standInWebFinger answers WebFinger for acct:alice@<its host> with a
// subscribe template, and 404 for anyone else.
func standInWebFinger(t *testing.T) (host string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/webfinger" || r.URL.Query().Get("resource") != "acct:alice@"+r.Host {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/jrd+json")
		json.NewEncoder(w).Encode(map[string]any{
			"subject": "acct:alice@" + r.Host,
			"links": []map[string]string{
				{"rel": "self", "type": "application/activity+json", "href": "https://social.test/users/alice"},
				{"rel": "http://ostatus.org/schema/1.0/subscribe", "template": "https://social.test/authorize_interaction?uri={uri}"},
			},
		})
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestInteractCreate(t *testing.T) {
	b := newMentionBlog(t)
	b.liftRateLimits() // many requests from the one test address
	host := standInWebFinger(t)
	actor := "http://blog.test/users/ann"
	tests := []struct {
		name     string
		uri      string
		handle   string
		status   int
		location string // for 303
		says     string // for 400
	}{
		{"reply to an article", b.apID(), "@alice@" + host, http.StatusSeeOther,
			"https://social.test/authorize_interaction?uri=" + url.QueryEscape(b.apID()), ""},
		{"permalink becomes the AP id", b.permalink(), "alice@" + host, http.StatusSeeOther,
			"https://social.test/authorize_interaction?uri=" + url.QueryEscape(b.apID()), ""},
		{"follow an author", actor, " @alice@" + host + " ", http.StatusSeeOther,
			"https://social.test/authorize_interaction?uri=" + url.QueryEscape(actor), ""},
		{"unknown account", b.apID(), "@nobody@" + host, http.StatusBadRequest, "", "Could not find @nobody@" + host},
		{"not a handle", b.apID(), "nobody", http.StatusBadRequest, "", "is not a fediverse handle"},
		{"no handle", b.apID(), "", http.StatusBadRequest, "", "Enter your fediverse handle"},
		{"remote uri", "https://social.test/@bob/1", "@alice@" + host, http.StatusBadRequest, "", "only works for the articles"},
		{"unknown article", "http://blog.test/articles/999", "@alice@" + host, http.StatusBadRequest, "", "only works for the articles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := b.postForm("/interact", url.Values{"uri": {tt.uri}, "handle": {tt.handle}})
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.location != "" && rec.Header().Get("Location") != tt.location {
				t.Fatalf("Location %q, want %q", rec.Header().Get("Location"), tt.location)
			}
			if tt.says != "" {
				body := rec.Body.String()
				if !strings.Contains(body, tt.says) {
					t.Fatalf("page lacks %q:\n%s", tt.says, body)
				}
				if !strings.Contains(body, `name="robots" content="noindex"`) {
					t.Error("error page may be indexed")
				}
			}
		})
	}
}
