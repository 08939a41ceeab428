package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestProfileShow(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	ctx := context.Background()
	f.alice.BioHTML = "<p>Reporter on the <em>coast</em>.</p>"
	f.alice.AvatarPath = "alice.png"
	f.alice.Fields = `[{"name":"Website","value":"https://alice.example/"},{"name":"Beat","value":"Weather"}]`
	if err := f.Store.SaveAuthor(ctx, f.alice); err != nil {
		t.Fatal(err)
	}
	bob := f.author("bob")
	f.article(bob, "bobs-post", "Bob writes", "Hello.", time.Date(2012, 11, 1, 8, 0, 0, 0, time.UTC))

	tests := []struct {
		path       string
		status     int
		want, lack []string
	}{
		{"/@alice/", 200, []string{
			`<h1 class="page-title p-name">Alice</h1>`,
			`value="@alice@blog.test" readonly`,
			`<p>Reporter on the <em>coast</em>.</p>`,
			`<img class="profile-avatar u-photo" src="/media/alice.png" alt="Alice"`,
			`<a href="https://alice.example/" rel="me noopener">https://alice.example/</a>`,
			`<dt>Beat</dt><dd>Weather</dd>`,
			`<link rel="alternate" type="application/activity+json" href="http://blog.test/users/alice">`,
			"Articles by Alice", "Storm hits the coast", "October round-up",
			`<meta property="og:type" content="profile">`,
		}, []string{"Bob writes", "Future secret", "Draft secret"}},
		{"/@ALICE/", 200, []string{"Articles by Alice"}, nil},
		{"/@blog/", 200, []string{
			"All articles", "@blog@blog.test", "Storm hits the coast", "Bob writes",
			`<link rel="alternate" type="application/activity+json" href="http://blog.test/users/blog">`,
		}, []string{"Future secret"}},
		{"/@nobody/", 404, []string{"Page not found"}, nil},
		{"/@alice/?page=5", 404, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := f.get(tt.path)
			pubStatus(t, rec, tt.status)
			pubHas(t, rec, tt.want...)
			pubLacks(t, rec, tt.lack...)
		})
	}
	if rec := f.get("/@alice/"); rec.Header().Get("Vary") != "Accept" {
		t.Errorf("Vary = %q", rec.Header().Get("Vary"))
	}
	if rec := f.get("/@nobody/", "Accept", "application/activity+json"); rec.Code != http.StatusNotFound {
		t.Errorf("AS2 for unknown user: %d", rec.Code)
	}
}

func TestProfileOffersRemoteFollow(t *testing.T) {
	ts := newTestServer(t)
	ts.author("alice")
	body := ts.get("/@alice/").Body.String()
	for _, want := range []string{`action="/interact"`, `name="uri" value="http://blog.test/users/alice"`, `name="handle"`} {
		if !strings.Contains(body, want) {
			t.Errorf("profile page lacks %s", want)
		}
	}
}
