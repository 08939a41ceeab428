package handlers

import (
	"net/url"
	"regexp"
	"testing"

	"fedpress/models/modelstest"
)

// reFediUsername is the username every server accepts: GoToSocial's
// mention pattern (internal/regexes/regexes.go) without its non-ASCII
// letters. A ':' in it (host:port) made GoToSocial refuse the actor.
var reFediUsername = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// TestWebFingerRoundTripsEveryActor fetches each local actor, reads its
// preferredUsername, and resolves acct:USERNAME@HOST[:PORT] back to it, as
// GoToSocial and Mastodon do before they accept an actor, for every shape
// of base URL.
func TestWebFingerRoundTripsEveryActor(t *testing.T) {
	tests := []struct {
		base, host, instanceUser string
	}{
		{"https://blog.example.org", "blog.example.org", "blog.example.org"},
		{"http://127.0.0.1:8090", "127.0.0.1:8090", "127.0.0.1"},
		{"https://blog.example.org:8443", "blog.example.org:8443", "blog.example.org"},
		{"http://localhost:8080/", "localhost:8080", "localhost"},
		// A path prefix is not part of any id (NewURLs drops it): ids and
		// handles live at the host's root.
		{"https://example.org/blog", "example.org", "example.org"},
		{"http://[::1]:8080", "[::1]:8080", "instance.actor"},
	}
	for _, tc := range tests {
		t.Run(tc.base, func(t *testing.T) {
			ts := buildTestServer(t, modelstest.SQLite(t), tc.base, true)
			ts.author("alice")
			root := "https://" + tc.host
			if u, _ := url.Parse(tc.base); u.Scheme == "http" {
				root = "http://" + tc.host
			}
			for _, path := range []string{"/users/alice", "/users/blog", "/actor"} {
				rec := ts.do(newGet(path, as2Accept))
				if rec.Code != 200 {
					t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
				}
				actor := jsonBody(t, rec)
				id, _ := actor["id"].(string)
				user, _ := actor["preferredUsername"].(string)
				if id != root+path {
					t.Errorf("%s: id %q, want %q", path, id, root+path)
				}
				if !reFediUsername.MatchString(user) {
					t.Errorf("%s: preferredUsername %q is not [A-Za-z0-9_.-]+", path, user)
				}
				if path == "/actor" && user != tc.instanceUser {
					t.Errorf("instance actor username %q, want %q", user, tc.instanceUser)
				}
				acct := "acct:" + user + "@" + tc.host
				rec = ts.get("/.well-known/webfinger?resource=" + url.QueryEscape(acct))
				if rec.Code != 200 {
					t.Fatalf("WebFinger %s: %d %s", acct, rec.Code, rec.Body)
				}
				jrd := jsonBody(t, rec)
				if jrd["subject"] != acct {
					t.Errorf("WebFinger %s: subject %v", acct, jrd["subject"])
				}
				if self := selfLink(jrd); self != id {
					t.Errorf("WebFinger %s: self %q, want %q", acct, self, id)
				}
			}
			// Handles served before the instance actor lost its port keep
			// resolving.
			old := "acct:" + tc.host + "@" + tc.host
			if rec := ts.get("/.well-known/webfinger?resource=" + url.QueryEscape(old)); rec.Code != 200 || selfLink(jsonBody(t, rec)) != root+"/actor" {
				t.Errorf("old handle %s: %d %s", old, rec.Code, rec.Body)
			}
		})
	}
}

// selfLink is a JRD's ActivityPub self link.
func selfLink(jrd map[string]any) string {
	links, _ := jrd["links"].([]any)
	for _, l := range links {
		if m, _ := l.(map[string]any); m["rel"] == "self" && m["type"] == as2Accept {
			s, _ := m["href"].(string)
			return s
		}
	}
	return ""
}
