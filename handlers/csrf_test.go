package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"fedpress/models"
)

// adminPosts are every POST route of the admin area, whoever implements it:
// csrfCheck guards them all.
func adminPosts(articleID, commentID uint) []string {
	return []string{
		"/admin/logout", "/admin/articles", fmt.Sprintf("/admin/articles/%d", articleID),
		fmt.Sprintf("/admin/articles/%d/delete", articleID), "/admin/preview", "/admin/media",
		fmt.Sprintf("/admin/comments/%d/status", commentID), fmt.Sprintf("/admin/comments/%d/reply", commentID),
		fmt.Sprintf("/admin/comments/%d/edit", commentID), "/admin/followers/1/status", "/admin/blocks",
		"/admin/blocks/1/delete", "/admin/settings", "/admin/profile",
	}
}

func TestAdminPostsNeedCSRF(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	art := ts.article(ad.author, "hello", "Hello", "Hi", time.Now().Add(-time.Hour))
	in := &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceWeb, Status: models.StatusPending, AuthorName: "Bob", Content: "<p>hi</p>"}
	if _, err := ts.Store.CreateInteraction(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"title": {"X"}, "action": {"publish"}, "status": {"approved"}, "body": {"b"}}
	for _, path := range adminPosts(art.ID, in.ID) {
		t.Run(path, func(t *testing.T) {
			cases := []struct {
				name    string
				token   string
				header  string
				cookies []*http.Cookie
				want    int
			}{
				{"logged out", "", "", nil, http.StatusForbidden},
				{"no token", "", "", []*http.Cookie{ad.cookie}, http.StatusForbidden},
				{"wrong token", strings.Repeat("x", 43), "", []*http.Cookie{ad.cookie}, http.StatusForbidden},
				{"wrong header", "", strings.Repeat("x", 43), []*http.Cookie{ad.cookie}, http.StatusForbidden},
			}
			for _, c := range cases {
				f := url.Values{}
				for k, v := range form {
					f[k] = v
				}
				if c.token != "" {
					f.Set("csrf", c.token)
				}
				req := newFormRequest(path, f)
				if c.header != "" {
					req.Header.Set(csrfHeader, c.header)
				}
				for _, ck := range c.cookies {
					req.AddCookie(ck)
				}
				if rec := ts.do(req); rec.Code != c.want {
					t.Errorf("%s: status %d, want %d", c.name, rec.Code, c.want)
				}
			}
			// A token in the query string is not a form field.
			req := newFormRequest(path+"?csrf="+url.QueryEscape(ad.csrf), form)
			req.AddCookie(ad.cookie)
			if rec := ts.do(req); rec.Code != http.StatusForbidden {
				t.Errorf("token in query: status %d, want 403", rec.Code)
			}
		})
	}
	// Nothing changed.
	if got, _ := ts.Store.ArticleByID(context.Background(), art.ID); got.DeletedAt != nil || got.Title != "Hello" {
		t.Errorf("article changed without a CSRF token: %+v", got)
	}
	if got, _ := ts.Store.InteractionByID(context.Background(), in.ID); got.Status != models.StatusPending {
		t.Errorf("comment moderated without a CSRF token: %s", got.Status)
	}
	// The header works as well as the field.
	req := newFormRequest("/admin/comments/"+fmt.Sprint(in.ID)+"/status", url.Values{"status": {"approved"}})
	req.Header.Set(csrfHeader, ad.csrf)
	req.AddCookie(ad.cookie)
	if rec := ts.do(req); rec.Code != http.StatusSeeOther {
		t.Errorf("with X-CSRF-Token: status %d", rec.Code)
	}
}

func newFormRequest(path string, form url.Values) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = "192.0.2.1:1234"
	return req
}
