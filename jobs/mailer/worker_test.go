package mailer_test

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"fedpress/jobs/mailer"
	"fedpress/jobs/mailer/mailtest"
	"fedpress/models"
	"fedpress/models/modelstest"
)

const base = "https://blog.example"

type fixture struct {
	store  *models.Store
	author *models.Author
	art    *models.Article
	actor  *models.RemoteActor
}

func setup(t *testing.T, s *models.Store, email string) fixture {
	t.Helper()
	ctx := context.Background()
	a := &models.Author{Username: "alice", Name: "Alice", Email: email, PasswordHash: "!", PrivateKeyPEM: "k", PublicKeyPEM: "p"}
	if err := s.CreateAuthor(ctx, a); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	art, err := s.SaveArticle(ctx, 0, models.ArticleInput{AuthorID: a.ID, Slug: "hello", Title: "Hello world", Status: models.StatusPublished, PublishedAt: &now, HTML: "<p>hi</p>", Markdown: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	ra := &models.RemoteActor{URI: "https://social.example/users/bob", Username: "bob", Host: "social.example", Name: "Bob"}
	if err := s.UpsertRemoteActor(ctx, ra); err != nil {
		t.Fatal(err)
	}
	return fixture{store: s, author: a, art: art, actor: ra}
}

func (f fixture) comment(t *testing.T, source, status, text string) *models.Interaction {
	t.Helper()
	in := &models.Interaction{ArticleID: f.art.ID, Kind: models.KindComment, Source: source, Status: status,
		Content: "<p>" + text + "</p>", Visibility: "public"}
	if source == models.SourceActivityPub {
		id, uri := f.actor.ID, "https://social.example/notes/"+strings.ReplaceAll(text, " ", "-")
		in.RemoteActorID, in.ObjectURI, in.URL = &id, &uri, uri
	} else {
		in.AuthorName, in.AuthorEmail = "Carol", "carol@example.org"
	}
	if _, err := f.store.CreateInteraction(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	return in
}

func worker(t *testing.T, s *models.Store, url string, clientTLS *tls.Config) *mailer.Worker {
	t.Helper()
	cfg := mailer.Config{URL: url, From: "Blog <blog@blog.example>", TLSConfig: clientTLS, Timeout: 10 * time.Second}
	snd, err := mailer.NewSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &mailer.Worker{Store: s, Sender: snd, BaseURL: base, Holder: "test", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// Each kind of comment gives the article's author the mail its settings
// ask for, through a real SMTP server with AUTH.
func TestCommentNotifications(t *testing.T) {
	tests := []struct {
		name          string
		source        string
		status        string
		muteHeld      bool
		muteReply     bool
		email         string
		wantSubject   string // empty: no mail
		wantInBody    string
		wantReplyLink bool
	}{
		{"held web comment", models.SourceWeb, models.StatusPending, false, false, "alice@example.com",
			"Comment awaiting moderation on “Hello world”", "Carol left a comment", false},
		{"held fediverse reply", models.SourceActivityPub, models.StatusPending, false, false, "alice@example.com",
			"Comment awaiting moderation on “Hello world”", "Bob @bob@social.example left a comment", true},
		{"new fediverse reply", models.SourceActivityPub, models.StatusApproved, false, false, "alice@example.com",
			"New reply from Bob @bob@social.example on “Hello world”", "replied to “Hello world”", true},
		{"approved web comment", models.SourceWeb, models.StatusApproved, false, false, "alice@example.com", "", "", false},
		{"held mail off", models.SourceWeb, models.StatusPending, true, false, "alice@example.com", "", "", false},
		{"reply mail off", models.SourceActivityPub, models.StatusApproved, false, true, "alice@example.com", "", "", false},
		{"held mail off, reply still on", models.SourceActivityPub, models.StatusApproved, true, false, "alice@example.com",
			"New reply from Bob @bob@social.example on “Hello world”", "replied", true},
		{"no address", models.SourceWeb, models.StatusPending, false, false, "", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			modelstest.Each(t, func(t *testing.T, s *models.Store) {
				ctx := context.Background()
				f := setup(t, s, tc.email)
				f.author.MuteHeldMail, f.author.MuteReplyMail = tc.muteHeld, tc.muteReply
				if err := s.SaveAuthor(ctx, f.author); err != nil {
					t.Fatal(err)
				}
				srv := mailtest.Start(t, mailtest.Options{STARTTLS: true, User: "blog", Pass: "s3cret pass"})
				in := f.comment(t, tc.source, tc.status, "nice post")
				w := worker(t, s, srv.URL(), srv.ClientTLS)
				n, err := w.SendDue(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if want := tc.wantSubject != ""; (n == 1) != want {
					t.Fatalf("sent %d, want mail: %v", n, want)
				}
				if tc.wantSubject == "" {
					if n != 0 || len(srv.Mails()) != 0 {
						t.Fatalf("sent %d, server got %d; want no mail", n, len(srv.Mails()))
					}
					return
				}
				m := srv.Wait(t, 1, 10*time.Second)[0]
				if n != 1 || len(m.To) != 1 || m.To[0] != tc.email || m.From != "blog@blog.example" {
					t.Fatalf("sent %d; envelope %s → %v", n, m.From, m.To)
				}
				if m.Subject != tc.wantSubject {
					t.Errorf("subject %q, want %q", m.Subject, tc.wantSubject)
				}
				for _, want := range []string{tc.wantInBody, "nice post", base + f.art.Permalink(), base + "/admin/comments/"} {
					if !strings.Contains(m.Body, want) {
						t.Errorf("body lacks %q:\n%s", want, m.Body)
					}
				}
				if tc.wantReplyLink != strings.Contains(m.Body, "Reply: "+in.URL+"\n") {
					t.Errorf("reply link %q shown = %v, want %v", in.URL, !tc.wantReplyLink, tc.wantReplyLink)
				}
				// Sent once: nothing is due any more.
				if n, err := w.SendDue(ctx); err != nil || n != 0 {
					t.Fatalf("second run sent %d (%v)", n, err)
				}
			})
		})
	}
}

// A duplicate fediverse reply (the same Note delivered twice) is stored
// once and mailed once.
func TestDuplicateReplyMailedOnce(t *testing.T) {
	s := modelstest.SQLite(t)
	f := setup(t, s, "alice@example.com")
	f.comment(t, models.SourceActivityPub, models.StatusApproved, "twice")
	f.comment(t, models.SourceActivityPub, models.StatusApproved, "twice")
	jobs, err := s.MailJobs(context.Background())
	if err != nil || len(jobs) != 1 {
		t.Fatalf("jobs %d (%v), want 1", len(jobs), err)
	}
}

// With the SMTP server down, the mail waits in the queue; once the server
// is up and the retry is due, it is delivered exactly once.
func TestSMTPDownThenUp(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		f := setup(t, s, "alice@example.com")
		// An address nothing listens on: reserve a port, then free it.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()

		f.comment(t, models.SourceWeb, models.StatusPending, "while down")
		w := worker(t, s, "smtp://"+addr, nil)
		now := time.Now().UTC()
		w.Now = func() time.Time { return now }
		if n, err := w.SendDue(ctx); err != nil || n != 0 {
			t.Fatalf("sent %d (%v) with the server down", n, err)
		}
		jobs, err := s.MailJobs(ctx)
		if err != nil || len(jobs) != 1 || jobs[0].Attempts != 1 || jobs[0].SentAt != nil || jobs[0].LastError == "" || !jobs[0].NextAt.After(now) {
			t.Fatalf("after a failure: %+v (%v)", jobs, err)
		}
		// Not due yet: no new attempt.
		if n, err := w.SendDue(ctx); err != nil || n != 0 {
			t.Fatalf("retried before due: %d (%v)", n, err)
		}

		srv := mailtest.Start(t, mailtest.Options{Addr: addr})
		now = jobs[0].NextAt.Add(time.Second)
		if n, err := w.SendDue(ctx); err != nil || n != 1 {
			t.Fatalf("sent %d (%v) once the server is up", n, err)
		}
		if n, err := w.SendDue(ctx); err != nil || n != 0 {
			t.Fatalf("sent again: %d (%v)", n, err)
		}
		mails := srv.Wait(t, 1, 10*time.Second)
		if len(mails) != 1 || !strings.Contains(mails[0].Body, "while down") {
			t.Fatalf("got %d mails: %+v", len(mails), mails)
		}
	})
}

// STARTTLS is used when the server offers it, and smtps:// speaks TLS
// from the start; credentials go only over the encrypted connection.
func TestTLSModes(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts mailtest.Options
	}{
		{"starttls", mailtest.Options{STARTTLS: true, User: "u", Pass: "p"}},
		{"implicit", mailtest.Options{Implicit: true, User: "u", Pass: "p"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.Start(t, tc.opts)
			snd, err := mailer.NewSender(mailer.Config{URL: srv.URL(), From: "blog@blog.example", TLSConfig: srv.ClientTLS, Timeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if err := snd.Send(context.Background(), mailer.Message{To: "a@example.com", Subject: "Hi", Body: "over TLS"}); err != nil {
				t.Fatal(err)
			}
			m := srv.Wait(t, 1, 10*time.Second)[0]
			if !m.TLS || !strings.Contains(m.Body, "over TLS") {
				t.Fatalf("tls=%v body %q", m.TLS, m.Body)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		url, from string
		ok        bool
	}{
		{"smtp://u:p@mail.example:587", "blog@example.com", true},
		{"smtps://mail.example", "Blog <blog@example.com>", true},
		{"smtp://mail.example", "", false},
		{"http://mail.example", "blog@example.com", false},
		{"smtp://", "blog@example.com", false},
		{"smtp://mail.example:99999", "blog@example.com", false},
		{"smtp://mail.example", "not an address", false},
	} {
		err := mailer.Config{URL: tc.url, From: tc.from}.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%s from %q: err = %v, want ok=%v", tc.url, tc.from, err, tc.ok)
		}
	}
}
