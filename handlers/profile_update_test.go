package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func profileValues(changes ...string) url.Values {
	f := url.Values{"name": {"Alice L."}, "bio": {"I write *things*.\n\n<script>x</script>"}, "email": {"alice@example.com"},
		"field_name_0": {"Site"}, "field_value_0": {"https://alice.example/"},
		"also_known_as": {"https://old.example/users/alice\n"}}
	for i := 0; i+1 < len(changes); i += 2 {
		f.Set(changes[i], changes[i+1])
	}
	return f
}

func TestProfileUpdate(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	ctx := context.Background()

	rec := ad.upload("/admin/profile", "avatar", "me.png", pngBytes(t, 32, 32), profileValues())
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/profile/?msg=profile" {
		t.Fatalf("save: %d to %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	a, _ := ts.Store.AuthorByID(ctx, ad.author.ID)
	if a.Name != "Alice L." || a.Email != "alice@example.com" || a.AlsoKnownAs != "https://old.example/users/alice" {
		t.Errorf("saved %+v", a)
	}
	if !strings.Contains(a.BioHTML, "<em>things</em>") || strings.Contains(a.BioHTML, "<script") {
		t.Errorf("bio HTML %q", a.BioHTML)
	}
	if a.Fields != `[{"name":"Site","value":"https://alice.example/"}]` {
		t.Errorf("fields %s", a.Fields)
	}
	m, err := ts.Store.MediaByPath(ctx, a.AvatarPath)
	if err != nil || m.Width != 32 {
		t.Errorf("avatar %q: %v %+v", a.AvatarPath, err, m)
	}
	page := ad.get("/admin/profile/")
	mustContain(t, page.Body.String(), `value="Alice L."`, `src="/media/`+a.AvatarPath+`"`, `value="https://alice.example/"`)

	// Keeping the avatar when no file comes, removing it on request.
	ad.upload("/admin/profile", "", "", nil, profileValues())
	if a, _ := ts.Store.AuthorByID(ctx, ad.author.ID); a.AvatarPath == "" {
		t.Error("avatar dropped without asking")
	}
	ad.upload("/admin/profile", "", "", nil, profileValues("remove_avatar", "1"))
	if a, _ := ts.Store.AuthorByID(ctx, ad.author.ID); a.AvatarPath != "" {
		t.Error("avatar kept after remove")
	}

	refusals := []struct {
		name   string
		form   url.Values
		file   []byte
		status int
		body   string
	}{
		{"no name", profileValues("name", ""), nil, http.StatusUnprocessableEntity, "Enter your name"},
		{"bad email", profileValues("email", "not an address"), nil, http.StatusUnprocessableEntity, "e-mail address is not valid"},
		{"bad also known as", profileValues("also_known_as", "javascript:alert(1)"), nil, http.StatusUnprocessableEntity, "Also known as"},
		{"avatar not an image", profileValues(), []byte("hello"), http.StatusUnsupportedMediaType, "Avatar:"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			field := ""
			if tt.file != nil {
				field = "avatar"
			}
			rec := ad.upload("/admin/profile", field, "x.png", tt.file, tt.form)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			mustContain(t, rec.Body.String(), tt.body)
		})
	}
}

func TestProfilePassword(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	other := ts.postLogin("alice", testPassword, "", "192.0.2.50") // a second browser
	otherCookie := cookieNamed(other, sessionCookie)
	ctx := context.Background()

	tests := []struct {
		name, current, next, again string
		status                     int
		body                       string
	}{
		{"wrong current", "nope nope nope", "a new password", "a new password", http.StatusUnprocessableEntity, "current password is wrong"},
		{"too short", testPassword, "short", "short", http.StatusUnprocessableEntity, "at least 10"},
		{"differ", testPassword, "a new password", "a new passw0rd", http.StatusUnprocessableEntity, "differ"},
		{"ok", testPassword, "a new password", "a new password", http.StatusSeeOther, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := ad.upload("/admin/profile", "", "", nil, profileValues("current_password", tt.current, "new_password", tt.next, "new_password2", tt.again))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d\n%.300s", rec.Code, tt.status, rec.Body)
			}
			mustContain(t, rec.Body.String(), tt.body)
		})
	}
	a, _ := ts.Store.AuthorByID(ctx, ad.author.ID)
	if bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte("a new password")) != nil {
		t.Error("password not changed")
	}
	if rec := ad.get("/admin/"); rec.Code != http.StatusOK {
		t.Errorf("this browser was logged out: %d", rec.Code)
	}
	req := ts.get("/admin/", "Cookie", sessionCookie+"="+otherCookie.Value)
	if req.Code != http.StatusSeeOther {
		t.Errorf("other browser still logged in: %d", req.Code)
	}
}
