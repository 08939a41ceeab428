package models_test

import (
	"context"
	"errors"
	"testing"

	"fedpress/models"
	"fedpress/models/modelstest"
)

// Every path that creates an author (setup, `fedpress author add`, WXR
// import) ends in CreateAuthor, which refuses usernames some server would
// refuse as preferredUsername.
func TestCreateAuthorUsernameRule(t *testing.T) {
	s := modelstest.SQLite(t)
	tests := []struct {
		username string
		ok       bool
	}{
		{"alice", true},
		{"Bob_2", true}, // stored lower-case
		{"j.doe-x", true},
		{"127.0.0.1:8090", false},
		{"with space", false},
		{"émile", false},
		{"a/b", false},
		{"", false},
		{"x123456789012345678901234567890123456789012345678901234567890abcd", false}, // 65
	}
	for _, tc := range tests {
		t.Run(tc.username, func(t *testing.T) {
			err := s.CreateAuthor(context.Background(), &models.Author{Username: tc.username, Name: "n", PasswordHash: "!", PrivateKeyPEM: "k", PublicKeyPEM: "p"})
			if tc.ok && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !tc.ok && !errors.Is(err, models.ErrBadActorName) {
				t.Errorf("err = %v, want ErrBadActorName", err)
			}
		})
	}
}

func TestArticleObjectType(t *testing.T) {
	for in, want := range map[string]string{
		"": models.ObjectTypeLead, "Article": models.ObjectTypeLead, "Lead": models.ObjectTypeLead,
		"Note": models.ObjectTypeNote, "note": models.ObjectTypeNote, "Page": models.ObjectTypeLead,
	} {
		if got := models.ArticleObjectType(in); got != want {
			t.Errorf("ArticleObjectType(%q) = %q, want %q", in, got, want)
		}
	}
}
