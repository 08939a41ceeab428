package federation

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"fedpress/models"
)

func TestParseHandle(t *testing.T) {
	tests := []struct {
		in         string
		user, host string
		bad        bool
	}{
		{in: "@alice@social.test", user: "alice", host: "social.test"},
		{in: " alice@Social.Test ", user: "alice", host: "social.test"},
		{in: "acct:alice@social.test", user: "alice", host: "social.test"},
		{in: "@alice@127.0.0.1:8080", user: "alice", host: "127.0.0.1:8080"},
		{in: "alice", bad: true},
		{in: "@alice", bad: true},
		{in: "alice@", bad: true},
		{in: "@@social.test", bad: true},
		{in: "a/b@social.test", bad: true},
		{in: "alice@social.test/path", bad: true},
		{in: "alice@user@social.test", bad: true},
		{in: "https://social.test/@alice", bad: true},
	}
	for _, tt := range tests {
		user, host, err := ParseHandle(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseHandle(%q) = %q %q, want an error", tt.in, user, host)
			}
			continue
		}
		if err != nil || user != tt.user || host != tt.host {
			t.Errorf("ParseHandle(%q) = %q %q %v", tt.in, user, host, err)
		}
	}
}

// fakeWebFinger answers WebFinger for a few accounts with different links.
func fakeWebFinger(t *testing.T) *httptest.Server {
	links := map[string][]JRDLink{
		"alice": {{Rel: "self", Href: "https://social.test/users/alice"},
			{Rel: relOStatusSubscribe, Template: "https://social.test/authorize_interaction?uri={uri}"}},
		"bob": {{Rel: relOStatusSubscribe, Template: "https://social.test/authorize_interaction?uri={uri}"},
			{Rel: relIntentCreate, Template: "https://social.test/intents/create?inReplyTo={inReplyTo}&content={content}&on-success={on-success}"},
			{Rel: relIntentObject, Template: "https://social.test/intents/object?object={object}"}},
		"carol": {{Rel: relIntentCreate, Template: "https://social.test/share?text={content}"},
			{Rel: relIntentObject, Href: "https://social.test/object?id={object}"}},
		"dave": {{Rel: relIntentFollow, Template: "https://social.test/follow?object={object}"},
			{Rel: relOStatusSubscribe, Template: "https://social.test/authorize_interaction?uri={uri}"}},
		"erin":  {{Rel: "self", Href: "https://social.test/users/erin"}},
		"frank": {{Rel: relOStatusSubscribe, Template: "javascript:alert('{uri}')"}},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res := r.URL.Query().Get("resource")
		if r.URL.Path != "/.well-known/webfinger" || !strings.HasPrefix(res, "acct:") {
			http.NotFound(w, r)
			return
		}
		user, host, _ := strings.Cut(strings.TrimPrefix(res, "acct:"), "@")
		l, ok := links[user]
		if !ok || host != r.Host {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/jrd+json")
		json.NewEncoder(w).Encode(JRD{Subject: res, Links: l})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRemoteInteractURL(t *testing.T) {
	e := newMentionEnv(t)
	wf := fakeWebFinger(t)
	host := strings.TrimPrefix(wf.URL, "http://")
	article := "http://blog.test/articles/1"
	actor := "http://blog.test/users/blog"
	esc := url.QueryEscape
	tests := []struct {
		name   string
		handle string
		uri    string
		follow bool
		want   string // "" for an error
	}{
		{"subscribe template", "@alice@" + host, article, false, "https://social.test/authorize_interaction?uri=" + esc(article)},
		{"without the leading @", "alice@" + host, actor, true, "https://social.test/authorize_interaction?uri=" + esc(actor)},
		{"FEP-3b86 Create with inReplyTo", "@bob@" + host, article, false, "https://social.test/intents/create?inReplyTo=" + esc(article) + "&content=&on-success="},
		{"FEP-3b86 Object to follow", "@bob@" + host, actor, true, "https://social.test/intents/object?object=" + esc(actor)},
		{"share-only Create falls back to Object (href)", "@carol@" + host, article, false, "https://social.test/object?id=" + esc(article)},
		{"FEP-3b86 Follow", "@dave@" + host, actor, true, "https://social.test/follow?object=" + esc(actor)},
		{"no template", "@erin@" + host, article, false, ""},
		{"unsafe template", "@frank@" + host, article, false, ""},
		{"unknown account", "@nobody@" + host, article, false, ""},
		{"not a handle", "nobody", article, false, ""},
		{"unreachable server", "@alice@127.0.0.1:1", article, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.svc.RemoteInteractURL(e.ctx, tt.handle, tt.uri, tt.follow)
			if tt.want == "" {
				var ie *InteractError
				if !errors.As(err, &ie) || ie.Msg == "" {
					t.Fatalf("got %q, %v; want an InteractError", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestLocalObjectPage(t *testing.T) {
	e := newMentionEnv(t)
	id := strconv.FormatUint(uint64(e.article.ID), 10)
	key := "https://remote.test/notes/1"
	comment := &models.Interaction{ArticleID: e.article.ID, Kind: models.KindComment, Source: models.SourceWeb,
		Status: models.StatusApproved, AuthorName: "Zed", Content: "<p>hi</p>", ObjectURI: &key}
	if _, err := e.store.CreateInteraction(e.ctx, comment); err != nil {
		t.Fatal(err)
	}
	cid := strconv.FormatUint(uint64(comment.ID), 10)
	tests := []struct {
		uri      string
		kind     string
		page, id string
		notLocal bool
		notFound bool
	}{
		{uri: "http://blog.test/articles/" + id, kind: LocalArticle, page: e.article.Permalink(), id: "http://blog.test/articles/" + id},
		{uri: "https://blog.test" + e.article.Permalink(), kind: LocalArticle, page: e.article.Permalink(), id: "http://blog.test/articles/" + id},
		{uri: "http://blog.test/comments/" + cid, kind: LocalComment, page: e.article.Permalink() + "#comment-" + cid, id: "http://blog.test/comments/" + cid},
		{uri: "http://blog.test/users/ann", kind: LocalActor, page: "/@ann/", id: "http://blog.test/users/ann"},
		{uri: "http://blog.test/@blog/", kind: LocalActor, page: "/@blog/", id: "http://blog.test/users/blog"},
		{uri: "acct:ann@blog.test", kind: LocalActor, page: "/@ann/", id: "http://blog.test/users/ann"},
		{uri: "ann@blog.test", kind: LocalActor, page: "/@ann/", id: "http://blog.test/users/ann"},
		{uri: "http://blog.test/tag/go/", kind: LocalPage, page: "/tag/go/"},
		{uri: "http://blog.test/actor", kind: LocalPage, page: "/"},
		{uri: "http://blog.test//evil.example/x", kind: LocalPage, page: "/evil.example/x"}, // never "//host": an open redirect
		{uri: "http://blog.test///evil.example/x?y=1", kind: LocalPage, page: "/evil.example/x?y=1"},
		{uri: "http://blog.test", kind: LocalPage, page: "/"},
		{uri: "http://blog.test/users/nobody", notFound: true},
		{uri: "http://blog.test/articles/999", notFound: true},
		{uri: "http://blog.test/comments/999", notFound: true},
		{uri: "https://social.test/@alice/1", notLocal: true},
		{uri: "acct:alice@social.test", notLocal: true},
		{uri: "javascript:alert(1)", notLocal: true},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			got, err := e.svc.LocalObjectPage(e.ctx, tt.uri)
			switch {
			case tt.notLocal:
				if !errors.Is(err, ErrNotLocal) {
					t.Fatalf("got %+v, %v; want ErrNotLocal", got, err)
				}
			case tt.notFound:
				if !errors.Is(err, models.ErrNotFound) {
					t.Fatalf("got %+v, %v; want ErrNotFound", got, err)
				}
			case err != nil:
				t.Fatal(err)
			case got.Kind != tt.kind || got.Page != tt.page || got.ID != tt.id:
				t.Fatalf("got %+v, want %s %s %s", got, tt.kind, tt.page, tt.id)
			}
		})
	}
}
