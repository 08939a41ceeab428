package federation

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"fedpress/models"
)

// TestInboxFollow: Follow of the blog actor and of an author, manual
// approval, Undo{Follow} in both shapes.
func TestInboxFollow(t *testing.T) {
	e := newIBEnv(t, nil)
	bob := e.remote.actor("bob")
	follower := func(local string, a *ibActor) *models.Follower {
		ra, err := e.store.RemoteActorByURI(e.ctx, a.URI)
		if err != nil {
			t.Fatal(err)
		}
		f, err := e.store.FollowerOf(e.ctx, local, ra.ID)
		if models.ErrIsNotFound(err) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	bob.mustSend(map[string]any{"id": bob.id("/follows/1"), "type": "Follow", "object": e.blogActor()})
	bob.mustSend(map[string]any{"id": bob.id("/follows/2"), "type": "Follow", "object": e.svc.cfg.URLs.Actor("ann")})
	bob.mustSend(map[string]any{"id": bob.id("/follows/3"), "type": "Follow", "object": e.svc.cfg.URLs.Actor("nobody")})
	bob.mustSend(map[string]any{"id": bob.id("/follows/4"), "type": "Follow", "object": "https://other.test/users/blog"})
	e.process()
	if f := follower("blog", bob); f == nil || f.Status != models.FollowAccepted || f.FollowActivityID != bob.id("/follows/1") {
		t.Fatalf("blog follower %+v", f)
	}
	if f := follower("ann", bob); f == nil || f.Status != models.FollowAccepted {
		t.Fatalf("author follower %+v", f)
	}
	if fs, _ := e.store.ListFollowersAdmin(e.ctx, "", 10); len(fs) != 2 {
		t.Fatalf("%d follows, want 2", len(fs))
	}
	queued := func() int64 {
		n, err := e.store.CountPendingDeliveries(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := queued(); n != 2 {
		t.Fatalf("%d answers queued, want an Accept per follow", n)
	}
	// A repeated Follow keeps one row and remembers the newest id.
	bob.mustSend(map[string]any{"id": bob.id("/follows/1b"), "type": "Follow", "object": e.blogActor()})
	e.process()
	if f := follower("blog", bob); f.FollowActivityID != bob.id("/follows/1b") {
		t.Fatalf("refollow %+v", f)
	}
	if n := queued(); n != 2 {
		t.Fatalf("%d answers queued: a repeated Follow is answered again within the hour (see TestInboxFollowRepeated)", n)
	}
	// Undo with the Follow embedded, then with its id only.
	bob.mustSend(map[string]any{"id": bob.id("/undo/1"), "type": "Undo",
		"object": map[string]any{"id": bob.id("/follows/1b"), "type": "Follow", "actor": bob.URI, "object": e.blogActor()}})
	bob.mustSend(map[string]any{"id": bob.id("/undo/2"), "type": "Undo", "object": bob.id("/follows/2")})
	e.process()
	if fs, _ := e.store.ListFollowersAdmin(e.ctx, "", 10); len(fs) != 0 {
		t.Fatalf("%d follows left after Undo", len(fs))
	}

	t.Run("manual approval", func(t *testing.T) {
		e.settings(func(st *models.Settings) { st.ManuallyApprovesFollowers = true })
		carol := e.remote.actor("carol")
		carol.mustSend(map[string]any{"id": carol.id("/follows/1"), "type": "Follow", "object": e.blogActor()})
		e.process()
		if f := follower("blog", carol); f == nil || f.Status != models.FollowPending {
			t.Fatalf("follower %+v", f)
		}
		if n := queued(); n != 2 {
			t.Fatalf("a pending follow was answered: %d queued", n)
		}
	})

	t.Run("unknown types are accepted and dropped", func(t *testing.T) {
		for _, typ := range []string{"Flag", "Add", "Listen", "Bite"} {
			res := bob.send(map[string]any{"id": bob.id("/other/" + typ), "type": typ, "object": e.articleURL()})
			if res.Status != http.StatusAccepted || res.Reason != "ignored type" {
				t.Fatalf("%s: %+v", typ, res)
			}
			if _, err := e.store.InboxItemByActivityID(e.ctx, bob.id("/other/"+typ)); !models.ErrIsNotFound(err) {
				t.Fatalf("%s stored: %v", typ, err)
			}
		}
	})

	t.Run("Accept and Reject are ignored", func(t *testing.T) {
		id := bob.id("/accept/1")
		bob.mustSend(map[string]any{"id": id, "type": "Accept", "object": e.blogActor() + "/follows/x"})
		e.process()
		if it := e.item(id); it.ProcessedAt == nil || it.Error != "" {
			t.Fatalf("item %+v", it)
		}
	})
}

// TestInboxDeleteActor: a Delete of the actor itself forgets it.
func TestInboxDeleteActor(t *testing.T) {
	e := newIBEnv(t, nil)
	bob := e.remote.actor("bob")
	carol := e.remote.actor("carol")
	bob.mustSend(map[string]any{"id": bob.id("/follows/1"), "type": "Follow", "object": e.blogActor()})
	n := bob.note("/notes/1", e.articleURL(), "<p>hello</p>")
	bob.mustSend(bob.create(n))
	bob.mustSend(map[string]any{"id": bob.id("/likes/1"), "type": "Like", "object": e.articleURL()})
	answer := carol.note("/notes/answer", idOf(n), "<p>to bob</p>")
	carol.mustSend(carol.create(answer))
	e.process()
	if e.interaction(idOf(answer)) == nil {
		t.Fatal("setup: answer not stored")
	}

	// The account is gone from its server: only our cached key remains.
	e.remote.setStatus(bob.URI, http.StatusGone)
	bob.mustSend(map[string]any{"id": bob.URI + "#delete", "type": "Delete", "object": bob.URI,
		"to": []any{"https://www.w3.org/ns/activitystreams#Public"}})
	e.process()
	if _, err := e.store.RemoteActorByURI(e.ctx, bob.URI); !models.ErrIsNotFound(err) {
		t.Fatalf("actor still cached: %v", err)
	}
	if fs, _ := e.store.ListFollowersAdmin(e.ctx, "", 10); len(fs) != 0 {
		t.Fatalf("follow survived: %+v", fs)
	}
	in := e.interaction(idOf(n))
	if in.Status != models.StatusRemoved || in.Content != "" || in.AuthorName != "" || in.RemoteActorID != nil {
		t.Fatalf("comment %+v", in)
	}
	if like := e.interaction(bob.id("/likes/1")); like.Status != models.StatusRemoved {
		t.Fatalf("like %+v", like)
	}
	if a := e.interaction(idOf(answer)); a.Status != models.StatusApproved || a.ParentID == nil || *a.ParentID != in.ID {
		t.Fatalf("the answer below lost its place: %+v", a)
	}
	// Once forgotten, its Deletes arrive unsigned-able and are dropped.
	res := bob.send(map[string]any{"id": bob.URI + "#delete2", "type": "Delete", "object": bob.URI})
	if res.Status != http.StatusAccepted || res.Reason == "" {
		t.Fatalf("second delete: %+v", res)
	}
}

// TestInboxMove: followers move to the new account only when it names the
// old one.
func TestInboxMove(t *testing.T) {
	e := newIBEnv(t, nil)
	old := e.remote.actor("old")
	impostor := e.remote.actor("impostor")
	newer := e.remote.actor("newer")
	old.mustSend(map[string]any{"id": old.id("/follows/1"), "type": "Follow", "object": e.blogActor()})
	e.process()

	old.mustSend(map[string]any{"id": old.id("/move/1"), "type": "Move", "object": old.URI, "target": impostor.URI})
	e.process()
	fs, _ := e.store.ListFollowersAdmin(e.ctx, "", 10)
	if len(fs) != 1 || fs[0].RemoteActor.URI != old.URI {
		t.Fatalf("move to an account without alsoKnownAs: %+v", fs)
	}

	newer.Doc["alsoKnownAs"] = []any{old.URI}
	newer.republish()
	old.mustSend(map[string]any{"id": old.id("/move/2"), "type": "Move", "object": old.URI, "target": newer.URI})
	e.process()
	fs, _ = e.store.ListFollowersAdmin(e.ctx, "", 10)
	if len(fs) != 1 || fs[0].RemoteActor.URI != newer.URI || fs[0].Status != models.FollowAccepted {
		t.Fatalf("followers after move: %+v", fs)
	}
	if a, _ := e.store.RemoteActorByURI(e.ctx, old.URI); a.MovedTo != newer.URI {
		t.Fatalf("movedTo %q", a.MovedTo)
	}
}

// TestInboxUpdatePerson: profile updates, only by the actor itself.
func TestInboxUpdatePerson(t *testing.T) {
	e := newIBEnv(t, nil)
	bob := e.remote.actor("bob")
	carol := e.remote.actor("carol")
	bob.mustSend(map[string]any{"id": bob.id("/follows/1"), "type": "Follow", "object": e.blogActor()})
	carol.mustSend(map[string]any{"id": carol.id("/follows/1"), "type": "Follow", "object": e.blogActor()})
	e.process()

	profile := map[string]any{}
	for k, v := range bob.Doc {
		profile[k] = v
	}
	profile["name"] = "Robert"
	profile["summary"] = "<p>new <em>bio</em><script>x</script></p>"
	delete(profile, "publicKey")
	bob.mustSend(map[string]any{"id": bob.id("/updates/1"), "type": "Update", "object": profile})
	forged := map[string]any{}
	for k, v := range profile {
		forged[k] = v
	}
	forged["name"] = "Hijacked"
	carol.mustSend(map[string]any{"id": carol.id("/updates/1"), "type": "Update", "object": forged})
	e.process()
	a, err := e.store.RemoteActorByURI(e.ctx, bob.URI)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "Robert" || a.Summary != "<p>new <em>bio</em></p>" || a.PublicKeyID != bob.KeyID || a.PublicKeyPEM == "" {
		t.Fatalf("actor after update %+v", a)
	}
}

// TestResolveKey: the key document shapes peers publish, rotation, and
// failures.
func TestResolveKey(t *testing.T) {
	e := newIBEnv(t, nil)

	t.Run("Mastodon: actor#main-key", func(t *testing.T) {
		bob := e.remote.actor("bob")
		info, err := e.svc.ResolveKey(e.ctx, bob.KeyID, false)
		if err != nil || info.OwnerURI != bob.URI || info.KeyID != bob.KeyID || info.Key == nil {
			t.Fatalf("%+v %v", info, err)
		}
	})

	t.Run("GoToSocial: a stub actor at the key URL", func(t *testing.T) {
		gts := e.remote.actor("gts")
		keyID := gts.URI + "/main-key"
		pk := gts.Doc["publicKey"].(map[string]any)
		pk["id"] = keyID
		gts.republish()
		gts.KeyID = keyID
		e.remote.put(keyID, map[string]any{"id": gts.URI, "type": "Person", "preferredUsername": "gts", "publicKey": pk})
		res := gts.send(map[string]any{"id": gts.id("/likes/1"), "type": "Like", "object": e.articleURL()})
		if res.Status != http.StatusAccepted || res.Reason != "" {
			t.Fatalf("%+v", res)
		}
		a, err := e.store.RemoteActorByKeyID(e.ctx, keyID)
		if err != nil || a.URI != gts.URI || a.Inbox != gts.URI+"/inbox" {
			t.Fatalf("stored %+v %v", a, err)
		}
	})

	t.Run("a bare key document with an owner", func(t *testing.T) {
		k := e.remote.actor("keyed")
		keyID := e.remote.url("/keys/keyed")
		pk := k.Doc["publicKey"].(map[string]any)
		pk["id"] = keyID
		k.republish()
		k.KeyID = keyID
		e.remote.put(keyID, map[string]any{"id": keyID, "type": "Key", "owner": k.URI, "publicKeyPem": pk["publicKeyPem"]})
		info, err := e.svc.ResolveKey(e.ctx, keyID, false)
		if err != nil || info.OwnerURI != k.URI {
			t.Fatalf("%+v %v", info, err)
		}
	})

	t.Run("a key whose owner does not list it", func(t *testing.T) {
		victim := e.remote.actor("victim")
		keyID := e.remote.url("/keys/forged")
		_, pub := ibKeyPair(t)
		e.remote.put(keyID, map[string]any{"id": keyID, "type": "Key", "owner": victim.URI, "publicKeyPem": pub})
		if _, err := e.svc.ResolveKey(e.ctx, keyID, false); err == nil {
			t.Fatal("accepted a key its owner does not publish")
		}
	})

	t.Run("an unreachable key is a 401 'could not fetch key'", func(t *testing.T) {
		ghost := e.remote.actor("ghost")
		e.remote.setStatus(ghost.URI, http.StatusNotFound)
		res := ghost.send(map[string]any{"id": ghost.id("/likes/1"), "type": "Like", "object": e.articleURL()})
		if res.Status != http.StatusUnauthorized || !strings.Contains(res.Reason, "could not fetch key") {
			t.Fatalf("%+v", res)
		}
		var se *SignatureError
		_, err := e.svc.ResolveKey(e.ctx, ghost.KeyID, false)
		if !errors.As(err, &se) || se.Status != http.StatusUnauthorized {
			t.Fatalf("ResolveKey error %v", err)
		}
	})

	t.Run("a private address is refused without AllowPrivatePeers", func(t *testing.T) {
		strict, err := NewService(Config{URLs: e.svc.cfg.URLs}, e.store, e.svc.log)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := strict.ResolveKey(e.ctx, e.remote.url("/users/nobody#main-key"), false); err == nil {
			t.Fatal("fetched from loopback")
		}
	})

	t.Run("rotation: refetched on failure, at most once a minute", func(t *testing.T) {
		rot := e.remote.actor("rot")
		rot.mustSend(map[string]any{"id": rot.id("/likes/1"), "type": "Like", "object": e.articleURL()})
		rot.rotateKey()
		res := rot.send(map[string]any{"id": rot.id("/likes/2"), "type": "Like", "object": e.articleURL()})
		if res.Status != http.StatusUnauthorized {
			t.Fatalf("refetched within the minute: %+v", res)
		}
		e.svc.SetClock(func() time.Time { return time.Now().UTC().Add(2 * time.Minute) })
		defer e.svc.SetClock(func() time.Time { return time.Now().UTC() })
		res = rot.send(map[string]any{"id": rot.id("/likes/3"), "type": "Like", "object": e.articleURL()})
		if res.Status != http.StatusAccepted || res.Reason != "" {
			t.Fatalf("rotated key not refetched: %+v", res)
		}
	})
}

// TestInboxBlocks: blocked actors and domains are dropped at the door and in
// the worker; blocks hide what exists and unblocking shows it again.
func TestInboxBlocks(t *testing.T) {
	e := newIBEnv(t, nil)
	bob := e.remote.actor("bob")
	carol := e.remote.actor("carol")

	// Bob comments, follows, and sends a direct message before any block.
	public := bob.note("/notes/public", e.articleURL(), "<p>public words</p>")
	dm := bob.note("/notes/dm", e.articleURL(), "<p>private words</p>")
	dm["to"], dm["cc"] = []any{e.blogActor()}, nil
	bob.mustSend(bob.create(public))
	bob.mustSend(bob.create(dm))
	bob.mustSend(map[string]any{"id": bob.id("/follows/1"), "type": "Follow", "object": e.blogActor()})
	e.process()

	block, hidden, err := e.store.CreateBlock(e.ctx, models.BlockActor, bob.URI)
	if err != nil || hidden != 2 {
		t.Fatalf("block: hidden %d, %v", hidden, err)
	}
	if s := e.interaction(idOf(public)).Status; s != models.StatusHidden {
		t.Fatalf("public comment %s after block", s)
	}
	if fs, _ := e.store.ListFollowersAdmin(e.ctx, "", 10); len(fs) != 0 {
		t.Fatal("blocked follower kept")
	}
	res := bob.send(bob.create(bob.note("/notes/after", e.articleURL(), "<p>again</p>")))
	if res.Status != http.StatusAccepted || res.Reason != "blocked" {
		t.Fatalf("blocked actor: %+v", res)
	}
	if _, err := e.store.InboxItemByActivityID(e.ctx, bob.id("/notes/after/activity")); !models.ErrIsNotFound(err) {
		t.Fatal("blocked activity stored")
	}
	if _, err := e.store.DeleteBlock(e.ctx, block.ID); err != nil {
		t.Fatal(err)
	}
	if s := e.interaction(idOf(public)).Status; s != models.StatusApproved {
		t.Fatalf("public comment %s after unblock", s)
	}
	if s := e.interaction(idOf(dm)).Status; s != models.StatusPrivate {
		t.Fatalf("direct message %s after unblock: must be private again", s)
	}

	t.Run("domain", func(t *testing.T) {
		b, _, err := e.store.CreateBlock(e.ctx, models.BlockDomain, models.HostWithoutPort(hostOf(carol.URI)))
		if err != nil {
			t.Fatal(err)
		}
		defer e.store.DeleteBlock(e.ctx, b.ID)
		res := carol.send(carol.create(carol.note("/notes/1", e.articleURL(), "<p>hi</p>")))
		if res.Status != http.StatusAccepted || res.Reason != "blocked" {
			t.Fatalf("blocked domain: %+v", res)
		}
	})

	t.Run("blocked between the 202 and the worker", func(t *testing.T) {
		n := carol.note("/notes/2", e.articleURL(), "<p>hi</p>")
		carol.mustSend(carol.create(n))
		b, _, err := e.store.CreateBlock(e.ctx, models.BlockActor, carol.URI)
		if err != nil {
			t.Fatal(err)
		}
		e.process()
		if in := e.interaction(idOf(n)); in != nil {
			t.Fatalf("stored %+v", in)
		}
		if _, err := e.store.DeleteBlock(e.ctx, b.ID); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("keyword", func(t *testing.T) {
		b, hidden, err := e.store.CreateBlock(e.ctx, models.BlockKeyword, "PUBLIC Words")
		if err != nil || hidden != 1 {
			t.Fatalf("keyword block hid %d: %v", hidden, err)
		}
		n := carol.note("/notes/3", e.articleURL(), "<p>Some Public   words here</p>")
		n["content"] = "<p>some <b>public words</b> here</p>"
		carol.mustSend(carol.create(n))
		cw := carol.note("/notes/4", e.articleURL(), "<p>innocent</p>")
		cw["summary"] = "public words"
		carol.mustSend(carol.create(cw))
		ok := carol.note("/notes/5", e.articleURL(), "<p>fine</p>")
		carol.mustSend(carol.create(ok))
		e.process()
		for _, id := range []string{idOf(n), idOf(cw)} {
			if s := e.interaction(id).Status; s != models.StatusHidden {
				t.Errorf("%s: %s, want hidden", id, s)
			}
		}
		if s := e.interaction(idOf(ok)).Status; s != models.StatusApproved {
			t.Errorf("unrelated comment %s", s)
		}
		if _, err := e.store.DeleteBlock(e.ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		if s := e.interaction(idOf(n)).Status; s != models.StatusApproved {
			t.Errorf("after removing the keyword: %s", s)
		}
	})
}

// TestInboxUpdateCannotClaimKey: a key id belongs to one actor. An actor
// of the same host that names a neighbour's key id in its Update{Person}
// does not take it, and the neighbour's signatures keep verifying.
func TestInboxUpdateCannotClaimKey(t *testing.T) {
	e := newIBEnv(t, nil)
	_, foreignPEM, err := GenerateKeyPair() // not from the pool: must differ from every victim's key
	if err != nil {
		t.Fatal(err)
	}
	gts := func(name string) *ibActor { // GoToSocial shape: the key at …/main-key
		a := e.remote.actor(name)
		a.KeyID = a.URI + "/main-key"
		pk := a.Doc["publicKey"].(map[string]any)
		pk["id"] = a.KeyID
		a.republish()
		e.remote.put(a.KeyID, map[string]any{"id": a.URI, "type": "Person", "preferredUsername": name, "publicKey": pk})
		return a
	}
	tests := []struct {
		name   string
		victim func(name string) *ibActor
		owner  func(attacker, victim *ibActor) any
	}{
		{"Mastodon key, owner the attacker", e.remote.actor, func(a, _ *ibActor) any { return a.URI }},
		{"Mastodon key, no owner", e.remote.actor, func(_, _ *ibActor) any { return nil }},
		{"Mastodon key, owner the victim", e.remote.actor, func(_, v *ibActor) any { return v.URI }},
		{"GoToSocial key, owner the attacker", gts, func(a, _ *ibActor) any { return a.URI }},
		{"GoToSocial key, no owner", gts, func(_, _ *ibActor) any { return nil }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			victim := tt.victim(fmt.Sprintf("victim%d", i))
			attacker := e.remote.actor(fmt.Sprintf("attacker%d", i))
			victim.mustSend(map[string]any{"id": victim.id("/likes/1"), "type": "Like", "object": e.articleURL()})
			profile := map[string]any{}
			for k, v := range attacker.Doc {
				profile[k] = v
			}
			pk := map[string]any{"id": victim.KeyID, "publicKeyPem": foreignPEM}
			if o := tt.owner(attacker, victim); o != nil {
				pk["owner"] = o
			}
			profile["publicKey"] = pk
			attacker.mustSend(map[string]any{"id": attacker.id("/updates/1"), "type": "Update", "object": profile})
			e.process()
			if a, err := e.store.RemoteActorByKeyID(e.ctx, victim.KeyID); err != nil || a.URI != victim.URI {
				t.Fatalf("key %s now resolves to %+v (%v)", victim.KeyID, a, err)
			}
			if res := victim.send(map[string]any{"id": victim.id("/likes/2"), "type": "Like", "object": e.articleURL()}); res.Status != http.StatusAccepted || res.Reason != "" {
				t.Fatalf("victim's next activity: %+v", res)
			}
			// The attacker keeps its own key and can still sign.
			if a, err := e.store.RemoteActorByURI(e.ctx, attacker.URI); err != nil || a.PublicKeyID != attacker.KeyID {
				t.Fatalf("attacker's own key %+v %v", a, err)
			}
		})
	}

	t.Run("an Update with the actor's own new key is taken", func(t *testing.T) {
		dan := e.remote.actor("dan")
		dan.mustSend(map[string]any{"id": dan.id("/likes/1"), "type": "Like", "object": e.articleURL()})
		profile := map[string]any{}
		for k, v := range dan.Doc {
			profile[k] = v
		}
		profile["publicKey"] = map[string]any{"id": dan.URI + "#key-2", "owner": dan.URI, "publicKeyPem": foreignPEM}
		dan.mustSend(map[string]any{"id": dan.id("/updates/1"), "type": "Update", "object": profile})
		e.process()
		if a, err := e.store.RemoteActorByURI(e.ctx, dan.URI); err != nil || a.PublicKeyID != dan.URI+"#key-2" || a.PublicKeyPEM != strings.TrimSpace(foreignPEM) {
			t.Fatalf("dan after update %+v %v", a, err)
		}
	})
}
