package federation

import (
	"bytes"
	"context"
	"crypto/rsa"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-fed/httpsig"
)

func TestKeyPairPEM(t *testing.T) {
	privPEM, pubPEM, err := GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(privPEM, "-----BEGIN PRIVATE KEY-----") || !strings.HasPrefix(pubPEM, "-----BEGIN PUBLIC KEY-----") {
		t.Fatalf("unexpected PEM types:\n%s\n%s", privPEM, pubPEM)
	}
	priv, err := ParsePrivateKeyPEM(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	if priv.N.BitLen() != 2048 {
		t.Fatalf("key size %d", priv.N.BitLen())
	}
	pub, err := ParsePublicKeyPEM(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !priv.PublicKey.Equal(pub) {
		t.Fatal("public key does not match private key")
	}
	for _, bad := range []string{"", "garbage", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", pubPEM} {
		if _, err := ParsePrivateKeyPEM(bad); err == nil {
			t.Errorf("ParsePrivateKeyPEM(%.30q) succeeded", bad)
		}
	}
	for _, bad := range []string{"", "garbage", privPEM} {
		if _, err := ParsePublicKeyPEM(bad); err == nil {
			t.Errorf("ParsePublicKeyPEM(%.30q) succeeded", bad)
		}
	}
	// The GoToSocial key from the fixtures parses.
	if _, ok := aliceKey(t).Key.(*rsa.PublicKey); !ok {
		t.Fatal("alice's key is not RSA")
	}
}

func testSigner(t testing.TB) (Signer, *staticResolver) {
	t.Helper()
	privPEM, _, err := GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ParsePrivateKeyPEM(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	const keyID = "https://blog.example/actor#main-key"
	res := &staticResolver{keys: map[string]PublicKeyInfo{
		keyID: {KeyID: keyID, OwnerURI: "https://blog.example/actor", Key: &priv.PublicKey},
	}}
	return Signer{KeyID: keyID, Key: priv}, res
}

// TestSignVerifyOverTheWire sends signed requests through a real loopback
// server, so Go's own handling of Host, paths and headers is in the loop.
func TestSignVerifyOverTheWire(t *testing.T) {
	signer, res := testSigner(t)
	var lastErr error
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		v, err := VerifyRequest(r.Context(), r, body, res.resolve, VerifyOptions{})
		lastErr = err
		if err != nil {
			http.Error(w, err.Error(), err.(*SignatureError).Status)
			return
		}
		io.WriteString(w, v.OwnerURI)
	}))
	defer srv.Close()

	tests := []struct {
		method, path string
		body         []byte
	}{
		{"GET", "/users/blog", nil},
		{"GET", "/users/blog/outbox?page=true&min_id=0", nil},
		{"GET", "/tags/caf%C3%A9%20au%20lait", nil},
		{"POST", "/inbox", []byte(`{"type":"Create"}`)},
		{"POST", "/users/bob/inbox", []byte{}},
		{"POST", "/inbox?x=1", nil},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var rd io.Reader
			if tc.body != nil {
				rd = bytes.NewReader(tc.body)
			}
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, rd)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept", "application/activity+json")
			if err := signer.SignRequest(req, tc.body); err != nil {
				t.Fatal(err)
			}
			sig := req.Header.Get("Signature")
			if !strings.Contains(sig, `algorithm="rsa-sha256"`) {
				t.Errorf("signature header %q", sig)
			}
			wantHeaders := `headers="(request-target) host date"`
			if tc.method == "POST" {
				wantHeaders = `headers="(request-target) host date digest"`
				if !strings.HasPrefix(req.Header.Get("Digest"), "SHA-256=") {
					t.Errorf("digest %q", req.Header.Get("Digest"))
				}
			} else if req.Header.Get("Digest") != "" {
				t.Error("GET got a Digest")
			}
			if !strings.Contains(sig, wantHeaders) {
				t.Errorf("signature header %q, want %s", sig, wantHeaders)
			}
			if d, err := http.ParseTime(req.Header.Get("Date")); err != nil || time.Since(d) > time.Minute || !strings.HasSuffix(req.Header.Get("Date"), " GMT") {
				t.Errorf("date %q", req.Header.Get("Date"))
			}
			if req.Header.Get("Accept") != "application/activity+json" {
				t.Error("Accept changed")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(got) != "https://blog.example/actor" {
				t.Fatalf("%d %s (%v)", resp.StatusCode, got, lastErr)
			}
		})
	}
}

// TestSignedRequestPassesHTTPSigVerifier cross-checks our signatures with
// go-fed/httpsig's independent verifier, and re-signing (a retry) replaces
// rather than duplicates headers.
func TestSignedRequestPassesHTTPSigVerifier(t *testing.T) {
	signer, _ := testSigner(t)
	body := []byte(`{"type":"Follow"}`)
	req := httptest.NewRequest("POST", "https://remote.example/inbox", bytes.NewReader(body))
	for i := 0; i < 2; i++ {
		if err := signer.SignRequest(req, body); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(req.Header.Values("Signature")); n != 1 {
		t.Fatalf("%d Signature headers", n)
	}
	if n := len(req.Header.Values("Digest")); n != 1 {
		t.Fatalf("%d Digest headers", n)
	}
	v, err := httpsig.NewVerifier(req)
	if err != nil {
		t.Fatal(err)
	}
	if v.KeyId() != signer.KeyID {
		t.Fatalf("keyId %q", v.KeyId())
	}
	if err := v.Verify(&signer.Key.PublicKey, httpsig.RSA_SHA256); err != nil {
		t.Fatal(err)
	}
	if err := (Signer{}).SignRequest(req, body); err == nil {
		t.Fatal("signing without a key succeeded")
	}
}

// A request signed by us must be accepted by our verifier whether or not it
// went through a server (client-side request with Header["Host"]).
func TestSignVerifyInProcess(t *testing.T) {
	signer, res := testSigner(t)
	req := httptest.NewRequest("GET", "https://remote.example/users/alice?x=1", nil)
	if err := signer.SignRequest(req, nil); err != nil {
		t.Fatal(err)
	}
	if req.Header.Get("Host") != "remote.example" {
		t.Fatalf("Host header %q", req.Header.Get("Host"))
	}
	if _, err := VerifyRequest(context.Background(), req, nil, res.resolve, VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
}
