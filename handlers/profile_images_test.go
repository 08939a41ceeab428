package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// uploadFiles posts a multipart form with any number of files.
func (ad *admin) uploadFiles(path string, files map[string][]byte, fields url.Values) *httptest.ResponseRecorder {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("csrf", ad.csrf)
	for k, vs := range fields {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	for field, data := range files {
		fw, _ := w.CreateFormFile(field, field+".png")
		_, _ = fw.Write(data)
	}
	_ = w.Close()
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.AddCookie(ad.cookie)
	return ad.ts.do(req)
}

// queuedUpdate is one Update{actor} in the delivery queue.
type queuedUpdate struct {
	signAs  string
	inboxes []string
	doc     map[string]any
}

// profileUpdates returns the Update activities queued after the first skip
// rows, one per activity, with the inboxes it goes to.
func profileUpdates(t *testing.T, ts *testServer, skip int) ([]queuedUpdate, int) {
	t.Helper()
	ds, err := ts.Store.ListDeliveries(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var out []queuedUpdate
	byID := map[string]int{}
	for _, d := range ds[skip:] {
		if d.Kind != "Update" {
			continue
		}
		i, seen := byID[d.ActivityID]
		if !seen {
			var doc map[string]any
			if err := json.Unmarshal([]byte(d.Body), &doc); err != nil {
				t.Fatal(err)
			}
			i = len(out)
			byID[d.ActivityID] = i
			out = append(out, queuedUpdate{signAs: d.SignAs, doc: doc})
		}
		out[i].inboxes = append(out[i].inboxes, d.Inbox)
	}
	return out, len(ds)
}

func blogSettings(changes ...string) url.Values {
	f := validSettings()
	f.Set("blog_username", "blog")
	for i := 0; i+1 < len(changes); i += 2 {
		f.Set(changes[i], changes[i+1])
	}
	return f
}

// The author's avatar and header (profile page) and the blog's avatar,
// header and site icon (settings) are uploaded as media, removable, checked
// as uploads are, and every change a follower's server shows is federated
// as Update{Person} by that actor to its followers.
func TestAdminProfileImages(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	ctx := context.Background()
	ts.remoteFollower("alice", "https://a.example/users/bob", "https://a.example/users/bob/inbox", "https://a.example/inbox")
	ts.remoteFollower("blog", "https://b.example/users/cy", "https://b.example/users/cy/inbox", "https://b.example/inbox")
	const (
		aliceID     = "http://blog.test/users/alice"
		blogID      = "http://blog.test/users/blog"
		aliceInbox  = "https://a.example/inbox"
		blogInbox   = "https://b.example/inbox"
		mediaPrefix = "http://blog.test/media/"
	)
	png := pngBytes(t, 64, 64)
	big := append(pngBytes(t, 8, 8), bytes.Repeat([]byte{0}, 2<<20)...)

	// What each step leaves: the stored paths ("" none, "new" a new file,
	// "same" unchanged) and the Update queued, if any.
	type want struct {
		avatar, header, icon string // author's (profile) or blog's (settings) avatar, header; site icon
		status               int
		body                 string // in a refusal page
		update               bool
		icon2, image         string // Update's object.icon.url / image.url: "avatar", "icon", "header" or ""
	}
	steps := []struct {
		name   string
		path   string
		files  map[string][]byte
		fields url.Values
		want   want
	}{
		{"author uploads avatar and header", "/admin/profile", map[string][]byte{"avatar": png, "header": png}, profileValues(),
			want{avatar: "new", header: "new", status: http.StatusSeeOther, update: true, icon2: "avatar", image: "header"}},
		{"author saves without files: both kept, nothing federated", "/admin/profile", nil, profileValues(),
			want{avatar: "same", header: "same", status: http.StatusSeeOther}},
		{"author removes the header", "/admin/profile", nil, profileValues("remove_header", "1"),
			want{avatar: "same", header: "", status: http.StatusSeeOther, update: true, icon2: "avatar"}},
		{"header not an image", "/admin/profile", map[string][]byte{"header": []byte("GIF89a? no")}, profileValues(),
			want{avatar: "same", header: "", status: http.StatusUnsupportedMediaType, body: "Header:"}},
		{"header too large", "/admin/profile", map[string][]byte{"header": big}, profileValues(),
			want{avatar: "same", header: "", status: http.StatusRequestEntityTooLarge, body: "Header: File too large (max 1 MB)"}},
		{"blog header and site icon", "/admin/settings", map[string][]byte{"blog_header": png, "site_icon": png}, blogSettings(),
			want{header: "new", icon: "new", status: http.StatusSeeOther, update: true, icon2: "icon", image: "header"}},
		{"blog avatar replaces the site icon as avatar", "/admin/settings", map[string][]byte{"blog_avatar": png}, blogSettings(),
			want{avatar: "new", header: "same", icon: "same", status: http.StatusSeeOther, update: true, icon2: "avatar", image: "header"}},
		{"new site icon while the blog has an avatar: nothing federated", "/admin/settings", map[string][]byte{"site_icon": png}, blogSettings(),
			want{avatar: "same", header: "same", icon: "new", status: http.StatusSeeOther}},
		{"blog avatar removed: the site icon again", "/admin/settings", nil, blogSettings("remove_blog_avatar", "1"),
			want{avatar: "", header: "same", icon: "same", status: http.StatusSeeOther, update: true, icon2: "icon", image: "header"}},
		{"site icon not an image", "/admin/settings", map[string][]byte{"site_icon": []byte("<svg/>")}, blogSettings(),
			want{avatar: "", header: "same", icon: "same", status: http.StatusUnsupportedMediaType, body: "Site icon:"}},
		{"blog avatar too large", "/admin/settings", map[string][]byte{"blog_avatar": big}, blogSettings(),
			want{avatar: "", header: "same", icon: "same", status: http.StatusRequestEntityTooLarge, body: "Blog avatar: File too large"}},
	}
	current := func(settings bool) (avatar, header, icon string) {
		if settings {
			st, err := ts.Store.GetSettings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return st.BlogAvatarPath, st.BlogHeaderPath, st.SiteIconPath
		}
		a, err := ts.Store.AuthorByID(ctx, ad.author.ID)
		if err != nil {
			t.Fatal(err)
		}
		return a.AvatarPath, a.HeaderPath, ""
	}
	_, seen := profileUpdates(t, ts, 0)
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			settings := st.path == "/admin/settings"
			a0, h0, i0 := current(settings)
			rec := ad.uploadFiles(st.path, st.files, st.fields)
			if rec.Code != st.want.status {
				t.Fatalf("status %d, want %d\n%.400s", rec.Code, st.want.status, rec.Body)
			}
			mustContain(t, rec.Body.String(), st.want.body)
			a1, h1, i1 := current(settings)
			for _, c := range []struct{ name, before, after, want string }{
				{"avatar", a0, a1, st.want.avatar}, {"header", h0, h1, st.want.header}, {"icon", i0, i1, st.want.icon},
			} {
				switch c.want {
				case "same":
					if c.after != c.before {
						t.Errorf("%s changed from %q to %q", c.name, c.before, c.after)
					}
				case "new":
					if c.after == "" || c.after == c.before {
						t.Errorf("%s not replaced: %q", c.name, c.after)
					} else if m, err := ts.Store.MediaByPath(ctx, c.after); err != nil || m.Width != 64 || m.MimeType != "image/png" {
						t.Errorf("%s %q is not a stored upload: %v %+v", c.name, c.after, err, m)
					}
				case "":
					if c.after != "" {
						t.Errorf("%s = %q, want none", c.name, c.after)
					}
				}
			}
			ups, n := profileUpdates(t, ts, seen)
			seen = n
			if !st.want.update {
				if len(ups) != 0 {
					t.Fatalf("queued %d Updates, want none", len(ups))
				}
				return
			}
			if len(ups) != 1 {
				t.Fatalf("queued %d Updates, want 1", len(ups))
			}
			u := ups[0]
			actor, signAs, inboxes := aliceID, "alice", []string{aliceInbox, blogInbox}
			if settings {
				actor, signAs, inboxes = blogID, "", []string{blogInbox}
			}
			slices.Sort(u.inboxes)
			if u.signAs != signAs || u.doc["actor"] != actor || field(u.doc, "object", "id") != actor ||
				field(u.doc, "object", "type") != "Person" || !slices.Equal(u.inboxes, inboxes) {
				t.Fatalf("Update signed as %q by %v about %v to %v; want %q, %s, %v",
					u.signAs, u.doc["actor"], field(u.doc, "object", "id"), u.inboxes, signAs, actor, inboxes)
			}
			if cc, _ := u.doc["cc"].([]any); len(cc) != 1 || cc[0] != actor+"/followers" {
				t.Errorf("Update cc = %v, want the actor's followers", u.doc["cc"])
			}
			paths := map[string]string{"avatar": a1, "header": h1, "icon": i1}
			for key, which := range map[string]string{"icon": st.want.icon2, "image": st.want.image} {
				obj := field(u.doc, "object", key)
				if which == "" {
					if obj != nil {
						t.Errorf("object.%s = %v, want none", key, obj)
					}
					continue
				}
				if field(u.doc, "object", key, "type") != "Image" || field(u.doc, "object", key, "url") != mediaPrefix+paths[which] ||
					field(u.doc, "object", key, "mediaType") != "image/png" {
					t.Errorf("object.%s = %v, want the %s %s", key, obj, which, paths[which])
				}
			}
		})
	}

	// What readers see: the site icon as favicon, the blog's header and
	// avatar (the site icon) on its profile, the author's avatar on hers.
	st, _ := ts.Store.GetSettings(ctx)
	home := ts.get("/").Body.String()
	mustContain(t, home, `<link rel="icon" href="/media/`+st.SiteIconPath+`">`)
	if strings.Contains(home, "favicon.svg") {
		t.Error("home still links the default favicon")
	}
	mustContain(t, ts.get("/@blog/").Body.String(), `class="profile-banner u-featured" src="/media/`+st.BlogHeaderPath+`"`,
		`class="profile-avatar u-photo" src="/media/`+st.SiteIconPath+`"`)
	a, _ := ts.Store.AuthorByID(ctx, ad.author.ID)
	prof := ts.get("/@alice/").Body.String()
	mustContain(t, prof, `src="/media/`+a.AvatarPath+`"`)
	if strings.Contains(prof, "profile-banner") {
		t.Error("alice's removed header is still shown")
	}
	// The admin pages show what is set, with a way to remove it.
	mustContain(t, ad.get("/admin/settings/").Body.String(), `name="remove_blog_header"`, `name="remove_site_icon"`,
		"shows the site icon as its avatar", `enctype="multipart/form-data"`)
	ad.uploadFiles("/admin/profile", map[string][]byte{"header": png}, profileValues())
	mustContain(t, ad.get("/admin/profile/").Body.String(), `name="remove_header"`, `class="header-preview"`)
}
