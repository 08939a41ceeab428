package handlers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"fedpress/jobs/mailer"
	"fedpress/jobs/mailer/mailtest"
	"fedpress/models"
	"fedpress/models/modelstest"
)

const newTestPassword = "a brand new passphrase"

// postPreSession posts a login-like form (pre-session CSRF) from ip.
func (ts *testServer) postPreSession(path string, form url.Values, ip string) *httptest.ResponseRecorder {
	ck, tok := preSessionCookie()
	f := url.Values{"csrf": {tok}}
	for k, v := range form {
		f[k] = v
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = ip + ":1234"
	req.AddCookie(ck)
	return ts.do(req)
}

// A reset link sets a new password once, within the hour, and logs the
// account out everywhere; a wrong, used or expired link changes nothing.
func TestPasswordReset(t *testing.T) {
	tests := []struct {
		name       string
		token      func(real string) string
		after      time.Duration // time passed since the link was made
		pw, pw2    string
		wantShow   int
		wantPost   int
		wantNewPW  bool
		wantInBody string
	}{
		{"valid", func(r string) string { return r }, 0, newTestPassword, newTestPassword, http.StatusOK, http.StatusSeeOther, true, ""},
		{"valid after 59 minutes", func(r string) string { return r }, 59 * time.Minute, newTestPassword, newTestPassword, http.StatusOK, http.StatusSeeOther, true, ""},
		{"expired", func(r string) string { return r }, 61 * time.Minute, newTestPassword, newTestPassword, http.StatusNotFound, http.StatusNotFound, false, "does not work"},
		{"wrong token", func(r string) string { return r[:len(r)-1] + "x" }, 0, newTestPassword, newTestPassword, http.StatusNotFound, http.StatusNotFound, false, "does not work"},
		{"empty token", func(string) string { return "" }, 0, newTestPassword, newTestPassword, http.StatusNotFound, http.StatusNotFound, false, "does not work"},
		{"too short", func(r string) string { return r }, 0, "short", "short", http.StatusOK, http.StatusUnprocessableEntity, false, "at least 10 characters"},
		{"mismatch", func(r string) string { return r }, 0, newTestPassword, newTestPassword + "!", http.StatusOK, http.StatusUnprocessableEntity, false, "differ"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t)
			ctx := context.Background()
			start := time.Now().UTC()
			ts.Now = func() time.Time { return start }
			ad := ts.newAdmin("alice")
			real, err := ts.Store.IssuePasswordReset(ctx, ad.author.ID, start)
			if err != nil {
				t.Fatal(err)
			}
			tok := tc.token(real)
			ts.Now = func() time.Time { return start.Add(tc.after) }

			show := ts.get("/admin/reset-password/?token=" + url.QueryEscape(tok))
			if show.Code != tc.wantShow {
				t.Fatalf("GET: status %d, want %d\n%s", show.Code, tc.wantShow, show.Body)
			}
			if tc.wantShow == http.StatusOK {
				mustContain(t, show.Body.String(), "alice", `name="token" value="`+tok+`"`)
			}
			rec := ts.postPreSession("/admin/reset-password", url.Values{"token": {tok}, "password": {tc.pw}, "password2": {tc.pw2}}, "192.0.2.50")
			if rec.Code != tc.wantPost {
				t.Fatalf("POST: status %d, want %d\n%s", rec.Code, tc.wantPost, rec.Body)
			}
			mustContain(t, rec.Body.String(), tc.wantInBody)

			_, _, errOldSession := ts.Store.SessionByHash(ctx, hashToken(ad.cookie.Value), ts.Now())
			newOK := ts.postLogin("alice", newTestPassword, "", "192.0.2.51").Code == http.StatusSeeOther
			oldOK := ts.postLogin("alice", testPassword, "", "192.0.2.52").Code == http.StatusSeeOther
			if newOK != tc.wantNewPW || oldOK == tc.wantNewPW {
				t.Fatalf("new password works %v, old works %v; want new=%v", newOK, oldOK, tc.wantNewPW)
			}
			if !tc.wantNewPW {
				return
			}
			if rec.Header().Get("Location") != "/admin/?msg=password" || cookieNamed(rec, sessionCookie) == nil {
				t.Errorf("after reset: Location %q, session cookie %v", rec.Header().Get("Location"), cookieNamed(rec, sessionCookie))
			}
			if errOldSession == nil {
				t.Error("the session from before the reset still works")
			}
			// Single use: the same link again changes nothing.
			again := ts.postPreSession("/admin/reset-password", url.Values{"token": {tok}, "password": {"yet another password"}, "password2": {"yet another password"}}, "192.0.2.50")
			if again.Code != http.StatusNotFound || ts.get("/admin/reset-password/?token="+url.QueryEscape(tok)).Code != http.StatusNotFound {
				t.Fatalf("second use: status %d", again.Code)
			}
			if ts.postLogin("alice", newTestPassword, "", "192.0.2.53").Code != http.StatusSeeOther {
				t.Error("the second use changed the password")
			}
		})
	}
}

// Using one reset link voids the account's other links.
func TestPasswordResetVoidsOtherLinks(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx, now := context.Background(), time.Now().UTC()
		a := &models.Author{Username: "alice", Name: "A", PasswordHash: "!", PrivateKeyPEM: "k", PublicKeyPEM: "p"}
		if err := s.CreateAuthor(ctx, a); err != nil {
			t.Fatal(err)
		}
		t1, err1 := s.IssuePasswordReset(ctx, a.ID, now)
		t2, err2 := s.IssuePasswordReset(ctx, a.ID, now)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if _, err := s.ResetPassword(ctx, t1, "hash1", now); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ResetPassword(ctx, t2, "hash2", now); !isNotFound(err) {
			t.Fatalf("second link: err %v, want not found", err)
		}
		if got, _ := s.AuthorByID(ctx, a.ID); got.PasswordHash != "hash1" {
			t.Fatalf("password hash %q", got.PasswordHash)
		}
	})
}

// "Lost your password?" answers alike whoever is asked for, mails a link
// only to a real account with an address, at most three an hour per
// account, and refuses a sixth request an hour from one address.
func TestLostPassword(t *testing.T) {
	ts := newTestServer(t)
	ts.Cfg.MailEnabled = true
	ctx := context.Background()
	alice := ts.authorWithPassword("alice", testPassword)
	alice.Email = "Alice@Example.com"
	if err := ts.Store.SaveAuthor(ctx, alice); err != nil {
		t.Fatal(err)
	}
	ts.authorWithPassword("bob", testPassword) // no address

	if rec := ts.get("/admin/login"); !strings.Contains(rec.Body.String(), `href="/admin/lost-password/"`) {
		t.Fatal("login page lacks the Lost your password? link")
	}
	if rec := ts.get("/admin/lost-password/"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `name="login"`) {
		t.Fatalf("form: %d", rec.Code)
	}
	const neutral = "If an account matches"
	steps := []struct {
		login, ip string
		status    int
		wantJobs  int // total queued so far
	}{
		{"alice", "198.51.100.1", http.StatusOK, 1},
		{"nobody", "198.51.100.1", http.StatusOK, 1},
		{"bob", "198.51.100.1", http.StatusOK, 1},
		{"alice@example.COM", "198.51.100.2", http.StatusOK, 2},
		{"ALICE", "198.51.100.3", http.StatusOK, 3},
		{"alice", "198.51.100.4", http.StatusOK, 3}, // fourth for this account within the hour: not sent
		{"alice", "198.51.100.1", http.StatusOK, 3},
		{"nobody", "198.51.100.1", http.StatusOK, 3},
		{"nobody", "198.51.100.1", http.StatusTooManyRequests, 3}, // sixth from this address
		{"", "198.51.100.5", http.StatusBadRequest, 3},
	}
	for i, st := range steps {
		rec := ts.postPreSession("/admin/lost-password", url.Values{"login": {st.login}}, st.ip)
		if rec.Code != st.status {
			t.Fatalf("step %d (%s from %s): status %d, want %d\n%s", i, st.login, st.ip, rec.Code, st.status, rec.Body)
		}
		if st.status == http.StatusOK && !strings.Contains(rec.Body.String(), neutral) {
			t.Errorf("step %d: answer lacks %q", i, neutral)
		}
		jobs, err := ts.Store.MailJobs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) != st.wantJobs {
			t.Fatalf("step %d (%s): %d mails queued, want %d", i, st.login, len(jobs), st.wantJobs)
		}
	}
	jobs, _ := ts.Store.MailJobs(ctx)
	for _, j := range jobs {
		if j.Kind != models.MailPasswordReset || j.To != "Alice@Example.com" || j.AuthorID != alice.ID || !strings.Contains(j.Body, "http://blog.test/admin/reset-password/?token=") {
			t.Errorf("job %+v", j)
		}
	}

	// Without e-mail the page says how else to get a link, and queues nothing.
	ts.Cfg.MailEnabled = false
	rec := ts.postPreSession("/admin/lost-password", url.Values{"login": {"alice"}}, "198.51.100.9")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "fedpress author reset-password") {
		t.Fatalf("mail off: %d\n%s", rec.Code, rec.Body)
	}
	if jobs, _ := ts.Store.MailJobs(ctx); len(jobs) != 3 {
		t.Fatalf("mail off queued mail: %d jobs", len(jobs))
	}
}

// The whole way: ask for a link, the worker mails it through a real SMTP
// server, the link from the mail sets a new password.
func TestLostPasswordMailEndToEnd(t *testing.T) {
	ts := newTestServer(t)
	ts.Cfg.MailEnabled = true
	ctx := context.Background()
	alice := ts.authorWithPassword("alice", testPassword)
	alice.Email = "alice@example.com"
	if err := ts.Store.SaveAuthor(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if rec := ts.postPreSession("/admin/lost-password", url.Values{"login": {"alice"}}, "198.51.100.1"); rec.Code != http.StatusOK {
		t.Fatalf("ask: %d", rec.Code)
	}
	srv := mailtest.Start(t, mailtest.Options{})
	snd, err := mailer.NewSender(mailer.Config{URL: srv.URL(), From: "blog@blog.test", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	w := &mailer.Worker{Store: ts.Store, Sender: snd, BaseURL: "http://blog.test", Holder: "t", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if n, err := w.SendDue(ctx); err != nil || n != 1 {
		t.Fatalf("sent %d (%v)", n, err)
	}
	m := srv.Wait(t, 1, 10*time.Second)[0]
	if len(m.To) != 1 || m.To[0] != "alice@example.com" || !strings.Contains(m.Subject, "Reset your password") {
		t.Fatalf("mail to %v, subject %q", m.To, m.Subject)
	}
	link := regexp.MustCompile(`http://blog\.test(/admin/reset-password/\?token=\S+)`).FindStringSubmatch(m.Body)
	if link == nil {
		t.Fatalf("no link in\n%s", m.Body)
	}
	u, _ := url.Parse(link[1])
	if rec := ts.get(link[1]); rec.Code != http.StatusOK {
		t.Fatalf("link: %d", rec.Code)
	}
	rec := ts.postPreSession("/admin/reset-password", url.Values{"token": {u.Query().Get("token")}, "password": {newTestPassword}, "password2": {newTestPassword}}, "198.51.100.1")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("reset: %d\n%s", rec.Code, rec.Body)
	}
	if ts.postLogin("alice", newTestPassword, "", "198.51.100.2").Code != http.StatusSeeOther {
		t.Fatal("new password refused")
	}
	// The sent job keeps no copy of the link.
	jobs, _ := ts.Store.MailJobs(ctx)
	if len(jobs) != 1 || jobs[0].SentAt == nil || jobs[0].Body != "" {
		t.Fatalf("job after sending: %+v", jobs)
	}
}

// The profile's notification boxes decide whether a visitor's held comment
// queues mail for the author.
func TestProfileNotificationSettings(t *testing.T) {
	ts := newTestServer(t)
	ts.Cfg.MailEnabled = true
	ctx := context.Background()
	ad := ts.newAdmin("alice")
	now := time.Now().UTC()
	art, err := ts.Store.SaveArticle(ctx, 0, models.ArticleInput{AuthorID: ad.author.ID, Slug: "post", Title: "Post", Status: models.StatusPublished, PublishedAt: &now, Markdown: "x", HTML: "<p>x</p>"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := ts.Store.GetSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.HoldVisitorComments = true
	if err := ts.Store.SaveSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	if rec := ad.get("/admin/profile/"); !strings.Contains(rec.Body.String(), `name="notify_held" value="1" checked`) {
		t.Fatal("notifications are not on by default")
	}
	for i, tc := range []struct {
		held     string
		wantJobs int
	}{{"", 0}, {"1", 1}} {
		rec := ad.post("/admin/profile", url.Values{"name": {"Alice"}, "email": {"alice@example.com"}, "notify_held": {tc.held}, "notify_replies": {"1"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("save profile: %d\n%s", rec.Code, rec.Body)
		}
		a, _ := ts.Store.AuthorByID(ctx, ad.author.ID)
		if a.MuteHeldMail != (tc.held == "") || a.MuteReplyMail {
			t.Fatalf("step %d: mute held %v, mute replies %v", i, a.MuteHeldMail, a.MuteReplyMail)
		}
		// A first-time visitor's comment, held for moderation.
		if rec := ts.postForm(art.Permalink()+"comments", commentValues("email", fmt.Sprintf("reader%d@example.com", i))); rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "comment=pending") {
			t.Fatalf("comment: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		if jobs, _ := ts.Store.MailJobs(ctx); len(jobs) != tc.wantJobs {
			t.Fatalf("step %d: %d mails queued, want %d", i, len(jobs), tc.wantJobs)
		}
	}
}
