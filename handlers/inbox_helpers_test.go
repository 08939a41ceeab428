package handlers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fedpress/federation"
	"fedpress/models"
	"fedpress/models/modelstest"
)

// newTestServerAt is newTestServer with another public base URL: the
// GoToSocial fixtures are addressed to http://127.0.0.1:9000.
func newTestServerAt(t *testing.T, base string) *testServer {
	t.Helper()
	return buildTestServer(t, modelstest.SQLite(t), base, true)
}

// gtsRequest is one line of the GoToSocial capture.
type gtsRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    *string           `json:"body"`
}

func gtsFixturePath(name string) string {
	return filepath.Join("..", "federation", "testdata", "gotosocial", name)
}

func loadGTSRequests(t *testing.T) []gtsRequest {
	t.Helper()
	f, err := os.Open(gtsFixturePath("inbox-requests.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []gtsRequest
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r gtsRequest
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("fixture line: %v", err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// httpRequest rebuilds a captured request as it arrived at host.
func (g gtsRequest) httpRequest(host string) *http.Request {
	var body io.Reader
	if g.Body != nil {
		body = strings.NewReader(*g.Body)
	}
	req := httptest.NewRequest(g.Method, "http://"+host+g.URL, body)
	for k, v := range g.Headers {
		if k == "host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	return req
}

// date is the capture's Date header.
func (g gtsRequest) date(t *testing.T) time.Time {
	t.Helper()
	d, err := http.ParseTime(g.Headers["date"])
	if err != nil {
		t.Fatalf("fixture date %q: %v", g.Headers["date"], err)
	}
	return d.UTC()
}

// activity decodes the body's type and id.
func (g gtsRequest) activity(t *testing.T) (typ, id string) {
	t.Helper()
	var a struct{ Type, ID string }
	if g.Body == nil {
		return "", ""
	}
	if err := json.Unmarshal([]byte(*g.Body), &a); err != nil {
		t.Fatal(err)
	}
	return a.Type, a.ID
}

// seedGTSAlice caches alice's actor as GoToSocial served it, so the key
// resolver finds her key without a network (localhost:8080 is not running).
func seedGTSAlice(t *testing.T, store *models.Store, fetched time.Time) *models.RemoteActor {
	t.Helper()
	raw, err := os.ReadFile(gtsFixturePath("alice-actor.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ID, Type, PreferredUsername, Name, Inbox, Followers, URL string
		PublicKey                                                struct{ ID, Owner, PublicKeyPem string }
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	a := &models.RemoteActor{
		URI: doc.ID, Type: doc.Type, Username: doc.PreferredUsername, Host: "localhost:8080", Name: doc.Name,
		URL: doc.URL, Inbox: doc.Inbox, Followers: doc.Followers,
		PublicKeyID: doc.PublicKey.ID, PublicKeyPEM: doc.PublicKey.PublicKeyPem, FetchedAt: fetched,
	}
	if err := store.UpsertRemoteActor(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

// drainInbox runs the inbox worker until nothing is due.
func drainInbox(t *testing.T, fed *federation.Service) {
	t.Helper()
	for i := 0; i < 100; i++ {
		n, err := fed.ProcessInbox(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("inbox never drained")
}
