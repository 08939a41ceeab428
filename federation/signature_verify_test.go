package federation

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	aliceKeyID   = "http://localhost:8080/users/alice/main-key"
	aliceActorID = "http://localhost:8080/users/alice"
	fixtureHost  = "127.0.0.1:9000"
)

// capturedRequest is one line of testdata/gotosocial/inbox-requests.jsonl.
type capturedRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    *string           `json:"body"`
}

func loadCaptured(t testing.TB) []capturedRequest {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "gotosocial", "inbox-requests.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []capturedRequest
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var c capturedRequest
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("fixture line: %v", err)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func aliceKey(t testing.TB) PublicKeyInfo {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "gotosocial", "alice-actor.json"))
	if err != nil {
		t.Fatal(err)
	}
	var actor struct {
		PublicKey struct {
			ID, Owner, PublicKeyPem string
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(raw, &actor); err != nil {
		t.Fatal(err)
	}
	k, err := ParsePublicKeyPEM(actor.PublicKey.PublicKeyPem)
	if err != nil {
		t.Fatal(err)
	}
	return PublicKeyInfo{KeyID: actor.PublicKey.ID, OwnerURI: actor.PublicKey.Owner, Key: k}
}

// serverRequest rebuilds a captured request as Go's server would hand it over.
func (c capturedRequest) serverRequest() (*http.Request, []byte) {
	var body []byte
	if c.Body != nil {
		body = []byte(*c.Body)
	}
	r := httptest.NewRequest(c.Method, c.URL, bytes.NewReader(body))
	r.Host = c.Headers["host"]
	for k, v := range c.Headers {
		if k != "host" {
			r.Header.Set(k, v)
		}
	}
	return r, body
}

func (c capturedRequest) date(t testing.TB) time.Time {
	d, err := http.ParseTime(c.Headers["date"])
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// staticResolver serves fixed keys and counts refreshes.
type staticResolver struct {
	mu        sync.Mutex
	keys      map[string]PublicKeyInfo
	refreshed map[string]PublicKeyInfo // returned when refresh=true, if set
	refreshes int
}

func (s *staticResolver) resolve(_ context.Context, keyID string, refresh bool) (PublicKeyInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if refresh {
		s.refreshes++
		if k, ok := s.refreshed[keyID]; ok {
			return k, nil
		}
	}
	k, ok := s.keys[keyID]
	if !ok {
		return PublicKeyInfo{}, errors.New("unknown key")
	}
	return k, nil
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func wantSignatureError(t *testing.T, err error, status int) *SignatureError {
	t.Helper()
	var se *SignatureError
	if !errors.As(err, &se) {
		t.Fatalf("want *SignatureError, got %T %v", err, err)
	}
	if se.Status < 400 || se.Status > 499 {
		t.Fatalf("status %d is not 4xx (%s)", se.Status, se.Reason)
	}
	if status != 0 && se.Status != status {
		t.Fatalf("status %d, want %d (%s)", se.Status, status, se.Reason)
	}
	if se.Reason == "" || se.Error() != se.Reason {
		t.Fatalf("bad reason %q / %q", se.Reason, se.Error())
	}
	return se
}

func TestVerifyGoToSocialFixtures(t *testing.T) {
	reqs := loadCaptured(t)
	if len(reqs) != 15 {
		t.Fatalf("want 15 captured requests, got %d", len(reqs))
	}
	res := &staticResolver{keys: map[string]PublicKeyInfo{aliceKeyID: aliceKey(t)}}
	for i, c := range reqs {
		r, body := c.serverRequest()
		if r.Host != fixtureHost {
			t.Fatalf("request %d: host %q", i, r.Host)
		}
		v, err := VerifyRequest(context.Background(), r, body, res.resolve, VerifyOptions{Now: fixedClock(c.date(t))})
		if err != nil {
			t.Errorf("request %d (%s %s): %v", i, c.Method, c.URL, err)
			continue
		}
		if v.KeyID != aliceKeyID || v.OwnerURI != aliceActorID || v.Scheme != "cavage" {
			t.Errorf("request %d: %+v", i, v)
		}
	}
	if res.refreshes != 0 {
		t.Errorf("valid requests caused %d key refreshes", res.refreshes)
	}
}

func sigValueRE() *regexp.Regexp { return regexp.MustCompile(`signature="([^"]*)"`) }

func replaceSignatureValue(h, v string) string {
	return sigValueRE().ReplaceAllLiteralString(h, `signature="`+v+`"`)
}

func TestVerifyGoToSocialTampered(t *testing.T) {
	reqs := loadCaptured(t)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	alice := aliceKey(t)
	type tamper struct {
		name   string
		status int // 0: any 4xx
		// apply changes the request; it returns false if not applicable.
		apply func(c *capturedRequest, now *time.Time, keys map[string]PublicKeyInfo) bool
	}
	tampers := []tamper{
		{"body byte changed", 0, func(c *capturedRequest, _ *time.Time, _ map[string]PublicKeyInfo) bool {
			if c.Body == nil {
				s := "x" // a body on a GET needs a signed digest
				c.Body = &s
				return true
			}
			b := []byte(*c.Body)
			b[len(b)/2] ^= 0x01
			s := string(b)
			c.Body = &s
			return true
		}},
		{"digest removed", http.StatusUnauthorized, func(c *capturedRequest, _ *time.Time, _ map[string]PublicKeyInfo) bool {
			if _, ok := c.Headers["digest"]; !ok {
				return false
			}
			delete(c.Headers, "digest")
			return true
		}},
		{"date removed", http.StatusUnauthorized, func(c *capturedRequest, _ *time.Time, _ map[string]PublicKeyInfo) bool {
			delete(c.Headers, "date")
			return true
		}},
		{"date shifted +2h", http.StatusUnauthorized, func(c *capturedRequest, now *time.Time, _ map[string]PublicKeyInfo) bool {
			c.Headers["date"] = now.Add(2 * time.Hour).UTC().Format(http.TimeFormat)
			return true
		}},
		{"date shifted -2h", http.StatusUnauthorized, func(c *capturedRequest, now *time.Time, _ map[string]PublicKeyInfo) bool {
			c.Headers["date"] = now.Add(-2 * time.Hour).UTC().Format(http.TimeFormat)
			return true
		}},
		{"clock 2h later", http.StatusUnauthorized, func(c *capturedRequest, now *time.Time, _ map[string]PublicKeyInfo) bool {
			*now = now.Add(2 * time.Hour)
			return true
		}},
		{"host changed", http.StatusUnauthorized, func(c *capturedRequest, _ *time.Time, _ map[string]PublicKeyInfo) bool {
			c.Headers["host"] = "evil.example:9000"
			return true
		}},
		{"path changed", http.StatusUnauthorized, func(c *capturedRequest, _ *time.Time, _ map[string]PublicKeyInfo) bool {
			c.URL = "/users/other" + c.URL
			return true
		}},
		{"method changed", 0, func(c *capturedRequest, _ *time.Time, _ map[string]PublicKeyInfo) bool {
			if c.Method == http.MethodGet {
				c.Method = http.MethodHead
			} else {
				c.Method = http.MethodPut
			}
			return true
		}},
		{"signature bits flipped", http.StatusUnauthorized, func(c *capturedRequest, _ *time.Time, _ map[string]PublicKeyInfo) bool {
			m := sigValueRE().FindStringSubmatch(c.Headers["signature"])
			sig, err := base64.StdEncoding.DecodeString(m[1])
			if err != nil {
				t.Fatal(err)
			}
			sig[len(sig)/2] ^= 0x80
			c.Headers["signature"] = replaceSignatureValue(c.Headers["signature"], base64.StdEncoding.EncodeToString(sig))
			return true
		}},
		{"signature not base64", http.StatusBadRequest, func(c *capturedRequest, _ *time.Time, _ map[string]PublicKeyInfo) bool {
			m := sigValueRE().FindStringSubmatch(c.Headers["signature"])
			c.Headers["signature"] = replaceSignatureValue(c.Headers["signature"], "!!"+m[1][2:])
			return true
		}},
		{"headers list shortened", http.StatusUnauthorized, func(c *capturedRequest, _ *time.Time, _ map[string]PublicKeyInfo) bool {
			c.Headers["signature"] = strings.Replace(c.Headers["signature"], `headers="(request-target) `, `headers="`, 1)
			return true
		}},
		{"key of another actor", http.StatusUnauthorized, func(c *capturedRequest, _ *time.Time, keys map[string]PublicKeyInfo) bool {
			keys[aliceKeyID] = PublicKeyInfo{KeyID: aliceKeyID, OwnerURI: aliceActorID, Key: &other.PublicKey}
			return true
		}},
		{"unknown key", http.StatusUnauthorized, func(c *capturedRequest, _ *time.Time, keys map[string]PublicKeyInfo) bool {
			delete(keys, aliceKeyID)
			return true
		}},
		{"signature header removed", http.StatusUnauthorized, func(c *capturedRequest, _ *time.Time, _ map[string]PublicKeyInfo) bool {
			delete(c.Headers, "signature")
			return true
		}},
	}
	for _, tc := range tampers {
		t.Run(tc.name, func(t *testing.T) {
			applied := 0
			for i, orig := range reqs {
				c := orig
				c.Headers = make(map[string]string, len(orig.Headers))
				for k, v := range orig.Headers {
					c.Headers[k] = v
				}
				now := c.date(t)
				keys := map[string]PublicKeyInfo{aliceKeyID: alice}
				if !tc.apply(&c, &now, keys) {
					continue
				}
				applied++
				res := &staticResolver{keys: keys}
				r, body := c.serverRequest()
				v, err := VerifyRequest(context.Background(), r, body, res.resolve, VerifyOptions{Now: fixedClock(now)})
				if err == nil {
					t.Fatalf("request %d (%s %s) verified after tampering: %+v", i, orig.Method, orig.URL, v)
				}
				se := wantSignatureError(t, err, tc.status)
				if i == 4 {
					t.Logf("%s: %d %s", tc.name, se.Status, se.Reason)
				}
			}
			if applied == 0 {
				t.Fatal("tamper applied to no request")
			}
		})
	}
}

// signCavage signs like a foreign server would, so tests control every detail.
func signCavage(t testing.TB, key crypto.Signer, keyID, algorithm, sep string, r *http.Request, headers []string, target string) {
	t.Helper()
	signCavageParams(t, key, keyID, algorithm, sep, r, headers, target, "", "")
}

// signCavageParams also signs the (created)/(expires) pseudo-headers.
func signCavageParams(t testing.TB, key crypto.Signer, keyID, algorithm, sep string, r *http.Request, headers []string, target, created, expires string) {
	t.Helper()
	lines := make([]string, len(headers))
	for i, h := range headers {
		switch h {
		case "(created)":
			lines[i] = "(created): " + created
		case "(expires)":
			lines[i] = "(expires): " + expires
		case "(request-target)":
			lines[i] = "(request-target): " + strings.ToLower(r.Method) + " " + target
		case "host":
			lines[i] = "host: " + r.Host
		default:
			lines[i] = h + ": " + r.Header.Get(h)
		}
	}
	msg := []byte(strings.Join(lines, "\n"))
	var sig []byte
	var err error
	switch k := key.(type) {
	case *rsa.PrivateKey:
		h := sha256.Sum256(msg)
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, h[:])
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, msg)
	}
	if err != nil {
		t.Fatal(err)
	}
	parts := []string{
		`keyId="` + keyID + `"`,
		`algorithm="` + algorithm + `"`,
		`headers="` + strings.Join(headers, " ") + `"`,
		`signature="` + base64.StdEncoding.EncodeToString(sig) + `"`,
	}
	if created != "" {
		parts = append(parts, "created="+created)
	}
	if expires != "" {
		parts = append(parts, "expires="+expires)
	}
	r.Header.Set("Signature", strings.Join(parts, sep))
}

func digestOf(body []byte) string {
	s := sha256.Sum256(body)
	return "SHA-256=" + base64.StdEncoding.EncodeToString(s[:])
}

func TestVerifyPeerVariants(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const keyID = "https://remote.example/users/bob#main-key"
	const edKeyID = "https://remote.example/users/bob#ed25519-key"
	res := &staticResolver{keys: map[string]PublicKeyInfo{
		keyID:   {KeyID: keyID, OwnerURI: "https://remote.example/users/bob", Key: &key.PublicKey},
		edKeyID: {KeyID: edKeyID, OwnerURI: "https://remote.example/users/bob", Key: edKey.Public()},
	}}
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"type":"Follow"}`)

	type variant struct {
		name   string
		build  func() *http.Request
		status int // 0 = must verify
	}
	newReq := func(method, target string, withBody bool) *http.Request {
		var b []byte
		if withBody {
			b = body
		}
		r := httptest.NewRequest(method, target, bytes.NewReader(b))
		r.Host = "blog.example"
		r.Header.Set("Date", now.Format(http.TimeFormat))
		r.Header.Set("Accept", "application/activity+json")
		if withBody {
			r.Header.Set("Digest", digestOf(body))
		}
		return r
	}
	variants := []variant{
		{"fedify: request-target without query, every header", func() *http.Request {
			r := newReq("GET", "/users/blog/outbox?page=true", false)
			signCavage(t, key, keyID, "rsa-sha256", ",", r, []string{"(request-target)", "accept", "date", "host"}, "/users/blog/outbox")
			return r
		}, 0},
		{"request-target with query", func() *http.Request {
			r := newReq("GET", "/users/blog/outbox?page=true", false)
			signCavage(t, key, keyID, "rsa-sha256", ",", r, []string{"(request-target)", "host", "date"}, "/users/blog/outbox?page=true")
			return r
		}, 0},
		{"comma-space separators", func() *http.Request {
			r := newReq("POST", "/inbox", true)
			signCavage(t, key, keyID, "hs2019", ", ", r, []string{"(request-target)", "host", "date", "digest"}, "/inbox")
			return r
		}, 0},
		{"authorization header", func() *http.Request {
			r := newReq("POST", "/inbox", true)
			signCavage(t, key, keyID, "rsa-sha256", ",", r, []string{"(request-target)", "host", "date", "digest"}, "/inbox")
			r.Header.Set("Authorization", "Signature "+r.Header.Get("Signature"))
			r.Header.Del("Signature")
			return r
		}, 0},
		{"ed25519 key with hs2019", func() *http.Request {
			r := newReq("POST", "/inbox", true)
			signCavage(t, edKey, edKeyID, "hs2019", ",", r, []string{"(request-target)", "host", "date", "digest"}, "/inbox")
			return r
		}, 0},
		{"(created) and (expires) instead of date", func() *http.Request {
			r := newReq("POST", "/inbox", true)
			r.Header.Del("Date")
			signCavageParams(t, key, keyID, "hs2019", ",", r, []string{"(request-target)", "host", "(created)", "(expires)", "digest"}, "/inbox",
				fmt.Sprint(now.Add(-time.Minute).Unix()), fmt.Sprint(now.Add(4*time.Minute).Unix())+".000")
			return r
		}, 0},
		{"(created) too old", func() *http.Request {
			r := newReq("POST", "/inbox", true)
			signCavageParams(t, key, keyID, "hs2019", ",", r, []string{"(request-target)", "host", "(created)", "digest"}, "/inbox",
				fmt.Sprint(now.Add(-3*time.Hour).Unix()), "")
			return r
		}, http.StatusUnauthorized},
		{"expired", func() *http.Request {
			r := newReq("POST", "/inbox", true)
			signCavageParams(t, key, keyID, "hs2019", ",", r, []string{"(request-target)", "host", "date", "digest"}, "/inbox",
				"", fmt.Sprint(now.Add(-90*time.Minute).Unix()))
			return r
		}, http.StatusUnauthorized},
		{"(created) signed without parameter", func() *http.Request {
			r := newReq("POST", "/inbox", true)
			signCavageParams(t, key, keyID, "hs2019", ",", r, []string{"(request-target)", "host", "(created)", "digest"}, "/inbox", "", "")
			return r
		}, http.StatusBadRequest},
		{"created not a number", func() *http.Request {
			r := newReq("POST", "/inbox", true)
			signCavageParams(t, key, keyID, "hs2019", ",", r, []string{"(request-target)", "host", "(created)", "digest"}, "/inbox", "soon", "")
			return r
		}, http.StatusBadRequest},
		{"wrong query signed", func() *http.Request {
			r := newReq("GET", "/users/blog/outbox?page=true", false)
			signCavage(t, key, keyID, "rsa-sha256", ",", r, []string{"(request-target)", "host", "date"}, "/users/blog/outbox?page=false")
			return r
		}, http.StatusUnauthorized},
		{"POST without signed digest", func() *http.Request {
			r := newReq("POST", "/inbox", true)
			signCavage(t, key, keyID, "rsa-sha256", ",", r, []string{"(request-target)", "host", "date"}, "/inbox")
			return r
		}, http.StatusUnauthorized},
		{"GET without signed host", func() *http.Request {
			r := newReq("GET", "/users/blog", false)
			signCavage(t, key, keyID, "rsa-sha256", ",", r, []string{"(request-target)", "date"}, "/users/blog")
			return r
		}, http.StatusUnauthorized},
		{"digest mismatch", func() *http.Request {
			r := newReq("POST", "/inbox", true)
			r.Header.Set("Digest", digestOf([]byte("other")))
			signCavage(t, key, keyID, "rsa-sha256", ",", r, []string{"(request-target)", "host", "date", "digest"}, "/inbox")
			return r
		}, http.StatusBadRequest},
		{"digest SHA-512 only", func() *http.Request {
			r := newReq("POST", "/inbox", true)
			d := sha512.Sum512(body)
			r.Header.Set("Digest", "SHA-512="+base64.StdEncoding.EncodeToString(d[:]))
			signCavage(t, key, keyID, "rsa-sha256", ",", r, []string{"(request-target)", "host", "date", "digest"}, "/inbox")
			return r
		}, http.StatusUnauthorized},
		{"digest SHA-256 and SHA-512", func() *http.Request {
			r := newReq("POST", "/inbox", true)
			d := sha512.Sum512(body)
			r.Header.Set("Digest", digestOf(body)+",SHA-512="+base64.StdEncoding.EncodeToString(d[:]))
			signCavage(t, key, keyID, "rsa-sha256", ",", r, []string{"(request-target)", "host", "date", "digest"}, "/inbox")
			return r
		}, 0},
		{"digest not base64", func() *http.Request {
			r := newReq("POST", "/inbox", true)
			r.Header.Set("Digest", "SHA-256=not*base64")
			signCavage(t, key, keyID, "rsa-sha256", ",", r, []string{"(request-target)", "host", "date", "digest"}, "/inbox")
			return r
		}, http.StatusBadRequest},
		{"unsupported algorithm", func() *http.Request {
			r := newReq("GET", "/users/blog", false)
			signCavage(t, key, keyID, "hmac-sha256", ",", r, []string{"(request-target)", "host", "date"}, "/users/blog")
			return r
		}, http.StatusUnauthorized},
		{"rsa-sha256 label on an ed25519 key", func() *http.Request {
			r := newReq("GET", "/users/blog", false)
			signCavage(t, edKey, edKeyID, "rsa-sha256", ",", r, []string{"(request-target)", "host", "date"}, "/users/blog")
			return r
		}, http.StatusUnauthorized},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			r := v.build()
			body, _ := readAllBody(r)
			got, err := VerifyRequest(context.Background(), r, body, res.resolve, VerifyOptions{Now: fixedClock(now)})
			if v.status == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if got.Scheme != "cavage" || got.OwnerURI != "https://remote.example/users/bob" {
					t.Fatalf("%+v", got)
				}
				return
			}
			if err == nil {
				t.Fatal("verified")
			}
			se := wantSignatureError(t, err, v.status)
			t.Log(se.Reason)
		})
	}
}

func readAllBody(r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(r.Body)
	return buf.Bytes(), err
}

func TestVerifyKeyRotation(t *testing.T) {
	oldKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	newKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	const keyID = "https://remote.example/users/bob#main-key"
	body := []byte(`{"type":"Create"}`)
	req := func() *http.Request {
		r := httptest.NewRequest("POST", "https://blog.example/inbox", bytes.NewReader(body))
		if err := (Signer{KeyID: keyID, Key: newKey}).SignRequest(r, body); err != nil {
			t.Fatal(err)
		}
		return r
	}
	info := func(k *rsa.PrivateKey) PublicKeyInfo {
		return PublicKeyInfo{KeyID: keyID, OwnerURI: "https://remote.example/users/bob", Key: &k.PublicKey}
	}

	t.Run("refresh finds the new key", func(t *testing.T) {
		res := &staticResolver{
			keys:      map[string]PublicKeyInfo{keyID: info(oldKey)},
			refreshed: map[string]PublicKeyInfo{keyID: info(newKey)},
		}
		if _, err := VerifyRequest(context.Background(), req(), body, res.resolve, VerifyOptions{}); err != nil {
			t.Fatal(err)
		}
		if res.refreshes != 1 {
			t.Fatalf("refreshes = %d, want 1", res.refreshes)
		}
	})
	t.Run("refresh returns the same stale key", func(t *testing.T) {
		res := &staticResolver{keys: map[string]PublicKeyInfo{keyID: info(oldKey)}}
		_, err := VerifyRequest(context.Background(), req(), body, res.resolve, VerifyOptions{})
		wantSignatureError(t, err, http.StatusUnauthorized)
		if res.refreshes != 1 {
			t.Fatalf("refreshes = %d, want exactly 1", res.refreshes)
		}
	})
	t.Run("resolver status passes through", func(t *testing.T) {
		resolve := func(context.Context, string, bool) (PublicKeyInfo, error) {
			return PublicKeyInfo{}, &SignatureError{Reason: "actor gone", Status: http.StatusUnauthorized}
		}
		_, err := VerifyRequest(context.Background(), req(), body, resolve, VerifyOptions{})
		if se := wantSignatureError(t, err, http.StatusUnauthorized); se.Reason != "actor gone" {
			t.Fatal(se.Reason)
		}
	})
}

func TestVerifyGarbageNeverPanics(t *testing.T) {
	res := &staticResolver{keys: map[string]PublicKeyInfo{aliceKeyID: aliceKey(t)}}
	headers := []string{
		``, `,`, `"`, `=`, `keyId`, `keyId=`, `keyId="`, `keyId="a"`, `keyId="a",signature=""`,
		`keyId="a",signature="x",keyId="b"`, `keyId="a" signature="b"`, `keyId=a,signature=b,headers=`,
		`keyId="a",signature="AAAA",headers="(created)",created=abc`,
		`keyId="a",signature="AAAA",headers="(request-target) host date digest",algorithm="rsa-sha256"`,
		`Signature keyId="` + aliceKeyID + `",signature="AAAA",headers="(request-target) host date (expires)"`,
		`keyId="` + aliceKeyID + `",signature="AAAA",headers="(request-target) host (created) (bogus)",created=1`,
		strings.Repeat(`keyId="a",`, 5000),
		"keyId=\"\x00\xff\",signature=\"\\\"",
	}
	for _, h := range headers {
		for _, name := range []string{"Signature", "Authorization", "Signature-Input"} {
			r := httptest.NewRequest("POST", "/inbox", nil)
			r.Host = fixtureHost
			r.Header.Set(name, h)
			if name == "Authorization" {
				r.Header.Set(name, "Signature "+h)
			}
			r.Header.Set("Date", "garbage")
			_, err := VerifyRequest(context.Background(), r, []byte("x"), res.resolve, VerifyOptions{})
			if err == nil {
				t.Fatalf("%s: %q verified", name, h)
			}
			wantSignatureError(t, err, 0)
		}
	}
	if _, err := VerifyRequest(context.Background(), nil, nil, res.resolve, VerifyOptions{}); err == nil {
		t.Fatal("nil request verified")
	}
}

func TestParseSignatureHeader(t *testing.T) {
	tests := []struct {
		in      string
		keyID   string
		headers string
		wantErr bool
	}{
		{`keyId="k",algorithm="hs2019",headers="(request-target) host date",signature="c2ln"`, "k", "(request-target) host date", false},
		{`keyId="k", algorithm="hs2019", headers="(request-target) Host Date", signature="c2ln"`, "k", "(request-target) host date", false},
		{`Signature keyId="k",signature="c2ln"`, "k", "(created)", false},
		{`keyId="k",algorithm="rsa-sha256",signature="c2ln"`, "k", "date", false},
		{`keyId="k",created=1700000000,headers="(created)",signature="c2ln"`, "k", "(created)", false},
		{`keyId = "k" , signature = "c2ln"`, "k", "(created)", false},
		{`keyId="a\"b",signature="c2ln"`, `a"b`, "(created)", false},
		{`keyId="k",signature="c2ln",keyId="x"`, "", "", true},
		{`keyId="k"`, "", "", true},
		{`signature="c2ln"`, "", "", true},
		{`keyId="k,signature="c2ln"`, "", "", true},
		{`keyId="k"signature="c2ln"`, "", "", true},
	}
	for _, tc := range tests {
		p, err := parseSignatureHeader(tc.in)
		if tc.wantErr {
			if err == nil {
				t.Errorf("%q: parsed as %+v", tc.in, p)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if p.KeyID != tc.keyID || strings.Join(p.Headers, " ") != tc.headers || p.Signature != "c2ln" {
			t.Errorf("%q: got %+v", tc.in, p)
		}
	}
}
