package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAuthorizeInteraction(t *testing.T) {
	b := newMentionBlog(t)
	tests := []struct {
		name     string
		uri      string
		status   int
		location string
		says     string
	}{
		{"our article", b.apID(), http.StatusFound, b.art.Permalink(), ""},
		{"our author", "http://blog.test/users/ann", http.StatusFound, "/@ann/", ""},
		{"our blog actor by acct", "acct:blog@blog.test", http.StatusFound, "/@blog/", ""},
		{"remote post", "https://social.test/@bob/1", http.StatusOK, "", `href="https://social.test/@bob/1"`},
		{"remote account", "acct:bob@social.test", http.StatusOK, "", "cannot follow, reply to or like"},
		{"unsafe uri is not linked", "javascript:alert(1)", http.StatusOK, "", "cannot follow"},
		{"no uri", "", http.StatusBadRequest, "", "No address was given"},
		{"our missing article", "http://blog.test/articles/999", http.StatusNotFound, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := b.get("/authorize_interaction?uri=" + url.QueryEscape(tt.uri))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.location != "" && rec.Header().Get("Location") != tt.location {
				t.Fatalf("Location %q, want %q", rec.Header().Get("Location"), tt.location)
			}
			body := rec.Body.String()
			if tt.says != "" && !strings.Contains(body, tt.says) {
				t.Fatalf("page lacks %q:\n%s", tt.says, body)
			}
			if strings.Contains(body, `href="javascript:`) {
				t.Fatal("unsafe link rendered")
			}
		})
	}
}
