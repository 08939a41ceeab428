package models_test

import (
	"context"
	"testing"

	"fedpress/models"
)

// TestMigrateMail: a database from before schema 14 gains the mail queue,
// the reset links and the authors' mail settings (notifications on), and
// its authors still load.
func TestMigrateMail(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			opt, dial := upgradeTarget(t, backend)
			s, err := models.Open(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CreateAuthor(ctx, &models.Author{Username: "old", Name: "Old", Email: "old@example.com", PasswordHash: "!", PrivateKeyPEM: "k", PublicKeyPEM: "p"}); err != nil {
				t.Fatal(err)
			}
			s.Close()
			s = upgradeFrom(ctx, t, opt, dial, 14,
				"ALTER TABLE authors DROP COLUMN mute_held_mail", "ALTER TABLE authors DROP COLUMN mute_reply_mail",
				"DROP TABLE mail_jobs", "DROP TABLE password_resets", "DELETE FROM schema_migrations WHERE version = 14",
			)
			defer s.Close()
			a, err := s.AuthorByUsername(ctx, "old")
			if err != nil || a.MuteHeldMail || a.MuteReplyMail {
				t.Fatalf("author after v14: %+v %v", a, err)
			}
			if _, err := s.MailJobs(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CountPasswordResets(ctx, a.ID, a.CreatedAt); err != nil {
				t.Fatal(err)
			}
		})
	}
}
