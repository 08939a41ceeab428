package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"fedpress/federation"
	"fedpress/models"
)

// remoteSigner is a remote account whose key the blog has cached.
type remoteSigner struct {
	uri    string
	signer federation.Signer
}

func seedSigner(t *testing.T, store *models.Store, uri string) remoteSigner {
	t.Helper()
	priv, pub, err := federation.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	key, err := federation.ParsePrivateKeyPEM(priv)
	if err != nil {
		t.Fatal(err)
	}
	a := &models.RemoteActor{URI: uri, Type: "Person", Username: uri[strings.LastIndex(uri, "/")+1:], Host: "remote.test",
		Inbox: uri + "/inbox", PublicKeyID: uri + "#main-key", PublicKeyPEM: pub, FetchedAt: time.Now().UTC()}
	if err := store.UpsertRemoteActor(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return remoteSigner{uri: uri, signer: federation.Signer{KeyID: a.PublicKeyID, Key: key}}
}

// post builds a signed inbox POST of body to path on blog.test.
func (rs remoteSigner) post(t *testing.T, path string, body []byte) *http.Request {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "http://blog.test"+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	if err := rs.signer.SignRequest(req, body); err != nil {
		t.Fatal(err)
	}
	return req
}

func likeBody(actor, id string) []byte {
	b, _ := json.Marshal(map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams", "type": "Like", "id": id, "actor": actor,
		"object": "http://blog.test/articles/1",
	})
	return b
}

// TestInboxRejections sends broken, unsigned and forged requests: each is
// a 4xx and stores nothing. A good request is the control.
func TestInboxRejections(t *testing.T) {
	ts := newTestServerAt(t, "http://blog.test")
	bob := seedSigner(t, ts.Store, "http://remote.test/users/bob")
	carol := seedSigner(t, ts.Store, "http://remote.test/users/carol")
	good := likeBody(bob.uri, "http://remote.test/likes/1")

	cases := []struct {
		name   string
		req    func(t *testing.T) *http.Request
		status int
		reason string // in the answer, so the peer's admin can tell what is wrong
	}{
		{"missing signature", func(t *testing.T) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "http://blog.test/inbox", bytes.NewReader(good))
			r.Header.Set("Content-Type", "application/activity+json")
			return r
		}, http.StatusUnauthorized, "not signed"},
		{"bad signature", func(t *testing.T) *http.Request {
			r := bob.post(t, "/inbox", good)
			sig := r.Header.Get("Signature")
			i := strings.Index(sig, `signature="`) + len(`signature="`)
			flipped := "A"
			if sig[i] == 'A' {
				flipped = "B"
			}
			r.Header.Set("Signature", sig[:i]+flipped+sig[i+1:])
			return r
		}, http.StatusUnauthorized, "does not verify"},
		{"digest mismatch", func(t *testing.T) *http.Request {
			r := bob.post(t, "/inbox", good)
			other := likeBody(bob.uri, "http://remote.test/likes/2")
			r.Body = httptestBody(other)
			r.ContentLength = int64(len(other))
			return r
		}, http.StatusBadRequest, "Digest"},
		{"stale date", func(t *testing.T) *http.Request {
			ts.Fed.SetClock(func() time.Time { return time.Now().UTC().Add(2 * time.Hour) })
			return bob.post(t, "/inbox", good)
		}, http.StatusUnauthorized, "too old"},
		{"key of another actor", func(t *testing.T) *http.Request {
			return carol.post(t, "/inbox", good)
		}, http.StatusUnauthorized, "not by the actor"},
		{"activity id on a foreign host", func(t *testing.T) *http.Request {
			return bob.post(t, "/inbox", likeBody(bob.uri, "http://elsewhere.test/likes/1"))
		}, http.StatusBadRequest, "not on the actor's host"},
		{"oversized body", func(t *testing.T) *http.Request {
			big := append([]byte(`{"type":"Like","pad":"`), bytes.Repeat([]byte("x"), federation.MaxInboxBody)...)
			big = append(big, `"}`...)
			return bob.post(t, "/inbox", big)
		}, http.StatusRequestEntityTooLarge, "body over"},
		{"oversized body without length", func(t *testing.T) *http.Request {
			r := bob.post(t, "/inbox", bytes.Repeat([]byte(" "), federation.MaxInboxBody+10))
			r.ContentLength = -1
			return r
		}, http.StatusRequestEntityTooLarge, "body over"},
		{"malformed JSON", func(t *testing.T) *http.Request {
			return bob.post(t, "/inbox", []byte(`{"type":"Like",`))
		}, http.StatusBadRequest, "invalid JSON"},
		{"JSON array", func(t *testing.T) *http.Request {
			return bob.post(t, "/inbox", []byte(`[{"type":"Like"}]`))
		}, http.StatusBadRequest, "not a JSON object"},
		{"no id", func(t *testing.T) *http.Request {
			return bob.post(t, "/inbox", []byte(`{"type":"Like","actor":"`+bob.uri+`","object":"http://blog.test/articles/1"}`))
		}, http.StatusBadRequest, "no id"},
		{"no actor", func(t *testing.T) *http.Request {
			return bob.post(t, "/inbox", []byte(`{"type":"Like","id":"http://remote.test/l/9","object":"http://blog.test/articles/1"}`))
		}, http.StatusBadRequest, "no actor"},
		{"no type", func(t *testing.T) *http.Request {
			return bob.post(t, "/inbox", []byte(`{"id":"http://remote.test/l/9","actor":"`+bob.uri+`"}`))
		}, http.StatusBadRequest, "no type"},
		{"wrong content type", func(t *testing.T) *http.Request {
			r := bob.post(t, "/inbox", good)
			r.Header.Set("Content-Type", "text/plain")
			return r
		}, http.StatusUnsupportedMediaType, "content type"},
		{"wrong method", func(t *testing.T) *http.Request {
			return httptest.NewRequest(http.MethodGet, "http://blog.test/inbox", nil)
		}, http.StatusMethodNotAllowed, ""},
		{"wrong method on a personal inbox", func(t *testing.T) *http.Request {
			return httptest.NewRequest(http.MethodPut, "http://blog.test/users/blog/inbox", bytes.NewReader(good))
		}, http.StatusMethodNotAllowed, ""},
		{"unknown personal inbox", func(t *testing.T) *http.Request {
			return bob.post(t, "/users/nobody/inbox", good)
		}, http.StatusNotFound, "no such inbox"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts.Fed.SetClock(func() time.Time { return time.Now().UTC() })
			rec := ts.do(c.req(t))
			if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.reason) {
				t.Fatalf("status %d, want %d with %q: %s", rec.Code, c.status, c.reason, rec.Body)
			}
			if n, _ := ts.Store.CountInboxItems(context.Background()); n != 0 {
				t.Fatalf("%d inbox items stored", n)
			}
		})
	}

	t.Run("rejections are counted by reason", func(t *testing.T) {
		for _, label := range []string{"unsigned", "signature", "actor_mismatch", "foreign_id", "too_large", "malformed", "content_type", "recipient"} {
			var m dto.Metric
			if err := ts.Fed.Metrics.InboxRejected.WithLabelValues(label).Write(&m); err != nil {
				t.Fatal(err)
			}
			if m.GetCounter().GetValue() == 0 {
				t.Errorf("no rejection counted as %q", label)
			}
		}
	})

	t.Run("control: the good request is accepted", func(t *testing.T) {
		ts.Fed.SetClock(func() time.Time { return time.Now().UTC() })
		for _, path := range []string{"/inbox", "/users/blog/inbox", "/actor/inbox"} {
			body := likeBody(bob.uri, "http://remote.test/likes"+path)
			rec := ts.do(bob.post(t, path, body))
			if rec.Code != http.StatusAccepted {
				t.Fatalf("%s: status %d: %s", path, rec.Code, rec.Body)
			}
		}
		if n, _ := ts.Store.CountInboxItems(context.Background()); n != 3 {
			t.Fatalf("%d inbox items, want 3", n)
		}
		it, err := ts.Store.InboxItemByActivityID(context.Background(), "http://remote.test/likes/users/blog/inbox")
		if err != nil || it.Recipient != "blog" || it.SignerKeyID != bob.uri+"#main-key" || it.ActorURI != bob.uri {
			t.Fatalf("stored item: %+v %v", it, err)
		}
	})
}

func httptestBody(b []byte) *readCloser { return &readCloser{bytes.NewReader(b)} }

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// TestInboxUnknownActorDelete: a Delete of an actor we never knew needs no
// signature (its key is gone): 202, nothing stored, no fetch attempted.
func TestInboxUnknownActorDelete(t *testing.T) {
	ts := newTestServerAt(t, "http://blog.test")
	body := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","type":"Delete","id":"http://gone.test/users/x#delete","actor":"http://gone.test/users/x","object":"http://gone.test/users/x"}`)
	req := httptest.NewRequest(http.MethodPost, "http://blog.test/inbox", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	if rec := ts.do(req); rec.Code != http.StatusAccepted {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if n, _ := ts.Store.CountInboxItems(context.Background()); n != 0 {
		t.Fatalf("%d inbox items stored", n)
	}
}

// TestInboxHostileBodies: odd but well-formed JSON never makes a 5xx.
func TestInboxHostileBodies(t *testing.T) {
	ts := newTestServerAt(t, "http://blog.test")
	bob := seedSigner(t, ts.Store, "http://remote.test/users/bob")
	bodies := []string{
		`{"type":["Like"],"id":"http://remote.test/a/1","actor":["` + bob.uri + `"],"object":{"id":{"id":1}}}`,
		`{"type":7,"id":"http://remote.test/a/2","actor":"` + bob.uri + `"}`,
		`{"type":"Create","id":"http://remote.test/a/3","actor":{"id":"` + bob.uri + `"},"object":[[[]]]}`,
		`{"type":"Create","id":"javascript:alert(1)","actor":"` + bob.uri + `"}`,
		`{"type":"Undo","id":"http://remote.test/a/4","actor":"` + bob.uri + `","object":null}`,
		strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
		`{"type":"Like","id":"http://remote.test/a/5","actor":"` + bob.uri + `"} trailing`,
		"\xff\xfe{}",
	}
	for i, b := range bodies {
		rec := ts.do(bob.post(t, "/inbox", []byte(b)))
		if rec.Code >= 500 {
			t.Errorf("body %d: status %d: %s", i, rec.Code, rec.Body)
		}
	}
	// What was accepted must not break the worker either.
	drainInbox(t, ts.Fed)
}
