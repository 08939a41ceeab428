package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fedpress/jobs/mailer/mailtest"
	"fedpress/models"
)

// TestWorkerSendsMail: `fedpress worker` with the SMTP flags from the
// environment sends what is queued, once.
func TestWorkerSendsMail(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	store, _, err := openStore(ctx, &config{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	a := &models.Author{Username: "alice", Name: "A", Email: "alice@example.com", PasswordHash: "!", PrivateKeyPEM: "k", PublicKeyPEM: "p"}
	if err := store.CreateAuthor(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := store.QueueMail(ctx, &models.MailJob{Kind: models.MailPasswordReset, AuthorID: a.ID, To: a.Email, Subject: "Reset", Body: "the link"}); err != nil {
		t.Fatal(err)
	}
	store.Close()

	srv := mailtest.Start(t, mailtest.Options{})
	t.Setenv("FEDPRESS_SMTP_URL", srv.URL())
	t.Setenv("FEDPRESS_SMTP_FROM", "Blog <blog@example.com>")
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	var out, errOut bytes.Buffer
	go func() {
		done <- run(runCtx, []string{"worker", "--data", data, "--instance-name", "mailtest"}, strings.NewReader(""), &out, &errOut)
	}()
	m := srv.Wait(t, 1, 30*time.Second)[0]
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("worker: %v\n%s", err, errOut.String())
	}
	if m.To[0] != "alice@example.com" || m.Subject != "Reset" || !strings.Contains(m.Body, "the link") || m.Header.Get("From") != `"Blog" <blog@example.com>` {
		t.Fatalf("mail %+v", m)
	}
	if n := len(srv.Mails()); n != 1 {
		t.Fatalf("%d mails", n)
	}
}
