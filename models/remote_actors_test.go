package models_test

import (
	"context"
	"testing"

	"fedpress/models"
	"fedpress/models/modelstest"
)

// TestUpsertRemoteActorKeyBelongsToOne: storing an actor with a key id
// takes that id from any other actor, and an actor stored without a key
// keeps the one it had.
func TestUpsertRemoteActorKeyBelongsToOne(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		put := func(uri, keyID, pem string) {
			t.Helper()
			a := &models.RemoteActor{URI: uri, Host: "social.test", Inbox: uri + "/inbox", PublicKeyID: keyID, PublicKeyPEM: pem}
			if err := s.UpsertRemoteActor(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		key := func(uri string) (string, string) {
			t.Helper()
			a, err := s.RemoteActorByURI(ctx, uri)
			if err != nil {
				t.Fatal(err)
			}
			return a.PublicKeyID, a.PublicKeyPEM
		}
		const bob, carol = "https://social.test/users/bob", "https://social.test/users/carol"
		put(bob, bob+"#main-key", "BOB")
		put(carol, bob+"#main-key", "CAROL")
		if id, pem := key(bob); id != "" || pem != "" {
			t.Fatalf("bob still holds %q %q after carol took the key", id, pem)
		}
		if a, err := s.RemoteActorByKeyID(ctx, bob+"#main-key"); err != nil || a.URI != carol {
			t.Fatalf("key owner %+v %v", a, err)
		}
		put(bob, bob+"#main-key", "BOB")
		if a, err := s.RemoteActorByKeyID(ctx, bob+"#main-key"); err != nil || a.URI != bob || a.PublicKeyPEM != "BOB" {
			t.Fatalf("key owner %+v %v", a, err)
		}
		put(bob, "", "") // a profile refresh without a usable key
		if id, pem := key(bob); id != bob+"#main-key" || pem != "BOB" {
			t.Fatalf("bob's key lost: %q %q", id, pem)
		}
	})
}
