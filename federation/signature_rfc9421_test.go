package federation

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// rfc9421Case describes a request signed by hand: the test writes the
// signature base itself, independently of signatureBases.
type rfc9421Case struct {
	method, target, host string
	body                 []byte
	components           []string // component identifiers as they appear
	base                 []string // base lines, without @signature-params
	params               string   // serialized parameters after the list
	contentDigest        string
	extraHeaders         map[string]string
}

func (c rfc9421Case) build(t *testing.T, sign func([]byte) []byte) *http.Request {
	t.Helper()
	sigParams := "(" + strings.Join(c.components, " ") + ")" + c.params
	base := strings.Join(append(append([]string{}, c.base...), `"@signature-params": `+sigParams), "\n")
	sig := sign([]byte(base))
	r := httptest.NewRequest(c.method, c.target, bytes.NewReader(c.body))
	r.Host = c.host
	if c.contentDigest != "" {
		r.Header.Set("Content-Digest", c.contentDigest)
	}
	for k, v := range c.extraHeaders {
		r.Header.Set(k, v)
	}
	r.Header.Set("Signature-Input", "sig1="+sigParams)
	r.Header.Set("Signature", "sig1=:"+base64.StdEncoding.EncodeToString(sig)+":")
	return r
}

func TestVerifyRFC9421(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const keyID = "https://remote.example/users/bob#main-key"
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	created := now.Add(-30 * time.Second).Unix()
	body := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","type":"Like"}`)
	d256 := sha256.Sum256(body)
	d512 := sha512.Sum512(body)
	cd256 := "sha-256=:" + base64.StdEncoding.EncodeToString(d256[:]) + ":"
	cd512 := "sha-512=:" + base64.StdEncoding.EncodeToString(d512[:]) + ":"

	signRSA := func(msg []byte) []byte {
		h := sha256.Sum256(msg)
		s, err := rsa.SignPKCS1v15(rand.Reader, rsaKey, crypto.SHA256, h[:])
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	signPSS := func(msg []byte) []byte {
		h := sha512.Sum512(msg)
		s, err := rsa.SignPSS(rand.Reader, rsaKey, crypto.SHA512, h[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	signEd := func(msg []byte) []byte { return ed25519.Sign(edPriv, msg) }
	signEC := func(msg []byte) []byte {
		h := sha256.Sum256(msg)
		r, s, err := ecdsa.Sign(rand.Reader, ecKey, h[:])
		if err != nil {
			t.Fatal(err)
		}
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out
	}

	mastodonPOST := func(alg string) rfc9421Case {
		return rfc9421Case{
			method: "POST", target: "/inbox", host: "blog.example", body: body,
			components: []string{`"@method"`, `"@target-uri"`, `"content-digest"`},
			base: []string{
				`"@method": POST`,
				`"@target-uri": https://blog.example/inbox`,
				`"content-digest": ` + cd256,
			},
			params:        fmt.Sprintf(`;created=%d;keyid="%s"`, created, keyID) + alg,
			contentDigest: cd256,
		}
	}

	tests := []struct {
		name   string
		c      rfc9421Case
		sign   func([]byte) []byte
		key    crypto.PublicKey
		tls    bool
		status int // 0 = verifies
	}{
		{"mastodon-style POST", mastodonPOST(`;alg="rsa-v1_5-sha256"`), signRSA, &rsaKey.PublicKey, false, 0},
		{"POST without alg", mastodonPOST(""), signRSA, &rsaKey.PublicKey, true, 0},
		{"rsa-pss-sha512", mastodonPOST(`;alg="rsa-pss-sha512"`), signPSS, &rsaKey.PublicKey, false, 0},
		{"ed25519", mastodonPOST(`;alg="ed25519"`), signEd, edPub, false, 0},
		{"ecdsa-p256-sha256", mastodonPOST(`;alg="ecdsa-p256-sha256"`), signEC, &ecKey.PublicKey, false, 0},
		{"GET with authority and path", rfc9421Case{
			method: "GET", target: "/users/blog?x=1", host: "Blog.Example:443",
			components: []string{`"@method"`, `"@authority"`, `"@path"`, `"@query"`, `"accept"`},
			base: []string{
				`"@method": GET`,
				`"@authority": blog.example`,
				`"@path": /users/blog`,
				`"@query": ?x=1`,
				`"accept": application/activity+json`,
			},
			params:       fmt.Sprintf(`;created=%d;keyid="%s";nonce="abc";tag="fedi"`, created, keyID),
			extraHeaders: map[string]string{"Accept": "application/activity+json"},
		}, signRSA, &rsaKey.PublicKey, true, 0},
		{"http target-uri without TLS", func() rfc9421Case {
			c := mastodonPOST("")
			c.base[1] = `"@target-uri": http://blog.example/inbox`
			return c
		}(), signRSA, &rsaKey.PublicKey, false, 0},
		{"http target-uri on a TLS connection", func() rfc9421Case {
			c := mastodonPOST("")
			c.base[1] = `"@target-uri": http://blog.example/inbox`
			return c
		}(), signRSA, &rsaKey.PublicKey, true, http.StatusUnauthorized},
		{"both content digests", func() rfc9421Case {
			c := mastodonPOST("")
			c.contentDigest = cd256 + ", " + cd512
			c.base[2] = `"content-digest": ` + cd256 + ", " + cd512
			return c
		}(), signRSA, &rsaKey.PublicKey, false, 0},
		{"wrong content-digest", func() rfc9421Case {
			c := mastodonPOST("")
			other := sha256.Sum256([]byte("other body"))
			c.contentDigest = "sha-256=:" + base64.StdEncoding.EncodeToString(other[:]) + ":"
			c.base[2] = `"content-digest": ` + c.contentDigest
			return c
		}(), signRSA, &rsaKey.PublicKey, false, http.StatusBadRequest},
		{"only unknown content-digest", func() rfc9421Case {
			c := mastodonPOST("")
			c.contentDigest = "md5=:AAAA:"
			c.base[2] = `"content-digest": ` + c.contentDigest
			return c
		}(), signRSA, &rsaKey.PublicKey, false, http.StatusUnauthorized},
		{"content-digest not covered", rfc9421Case{
			method: "POST", target: "/inbox", host: "blog.example", body: body,
			components: []string{`"@method"`, `"@target-uri"`},
			base:       []string{`"@method": POST`, `"@target-uri": https://blog.example/inbox`},
			params:     fmt.Sprintf(`;created=%d;keyid="%s"`, created, keyID),
		}, signRSA, &rsaKey.PublicKey, false, http.StatusUnauthorized},
		{"no created", func() rfc9421Case {
			c := mastodonPOST("")
			c.params = fmt.Sprintf(`;keyid="%s"`, keyID)
			return c
		}(), signRSA, &rsaKey.PublicKey, false, http.StatusUnauthorized},
		{"created two hours ago", func() rfc9421Case {
			c := mastodonPOST("")
			c.params = fmt.Sprintf(`;created=%d;keyid="%s"`, now.Add(-2*time.Hour).Unix(), keyID)
			return c
		}(), signRSA, &rsaKey.PublicKey, false, http.StatusUnauthorized},
		{"expired", func() rfc9421Case {
			c := mastodonPOST("")
			c.params = fmt.Sprintf(`;created=%d;expires=%d;keyid="%s"`, created, now.Add(-2*time.Hour).Unix(), keyID)
			return c
		}(), signRSA, &rsaKey.PublicKey, false, http.StatusUnauthorized},
		{"wrong method in base", func() rfc9421Case {
			c := mastodonPOST("")
			c.base[0] = `"@method": PUT`
			return c
		}(), signRSA, &rsaKey.PublicKey, false, http.StatusUnauthorized},
		{"alg does not match key", mastodonPOST(`;alg="ed25519"`), signRSA, &rsaKey.PublicKey, false, http.StatusUnauthorized},
		{"unknown alg", mastodonPOST(`;alg="hmac-sha256"`), signRSA, &rsaKey.PublicKey, false, http.StatusUnauthorized},
		{"component parameters refused", func() rfc9421Case {
			c := mastodonPOST("")
			c.components[2] = `"content-digest";sf`
			return c
		}(), signRSA, &rsaKey.PublicKey, false, http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.c.build(t, tc.sign)
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			res := &staticResolver{keys: map[string]PublicKeyInfo{keyID: {KeyID: keyID, OwnerURI: "https://remote.example/users/bob", Key: tc.key}}}
			v, err := VerifyRequest(context.Background(), r, tc.c.body, res.resolve, VerifyOptions{Now: fixedClock(now)})
			if tc.status == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if v.Scheme != "rfc9421" || v.KeyID != keyID || v.OwnerURI != "https://remote.example/users/bob" {
					t.Fatalf("%+v", v)
				}
				return
			}
			if err == nil {
				t.Fatal("verified")
			}
			t.Log(wantSignatureError(t, err, tc.status).Reason)
		})
	}
}

func TestParseSFDictionary(t *testing.T) {
	tests := []struct {
		in      string
		out     string // members re-serialized as key=value, joined by ", "
		wantErr bool
	}{
		{`sig1=("@method" "@target-uri");created=1;keyid="k"`, `sig1=("@method" "@target-uri");created=1;keyid="k"`, false},
		{`sig1=( "@method"  "x" );alg="a"`, `sig1=("@method" "x");alg="a"`, false},
		{`a=1, b=?0,c;x=tok/en:1, d=:AQID:, e=1.50, f=-3`, `a=1, b=?0, c;x=tok/en:1, d=:AQID:, e=1.5, f=-3`, false},
		{`a=1,a=2`, `a=2`, false},
		{`a=(1 2);p, b="q\"s\\"`, `a=(1 2);p, b="q\"s\\"`, false},
		{`a=`, "", true},
		{`a=1,`, "", true},
		{`A=1`, "", true},
		{`a=(1 2`, "", true},
		{`a=(1 2)x`, "", true},
		{`a="unterminated`, "", true},
		{`a=:not base64!:`, "", true},
		{`a=1234567890123456`, "", true},
		{`a=1.2345`, "", true},
		{`a=?2`, "", true},
		{`a="\x"`, "", true},
	}
	for _, tc := range tests {
		ms, err := parseSFDictionary(tc.in)
		if tc.wantErr {
			if err == nil {
				t.Errorf("%q: parsed %+v", tc.in, ms)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if got := serializeSFDict(ms); got != tc.out {
			t.Errorf("%q: got %q want %q", tc.in, got, tc.out)
		}
	}
}

// serializeSFDict is the test's view of a parsed dictionary.
func serializeSFDict(ms []sfMember) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		var b strings.Builder
		b.WriteString(m.Key)
		if m.IsList {
			b.WriteByte('=')
			b.WriteString(serializeSFInnerList(m.List, m.Params))
		} else {
			if v, ok := m.Item.Value.(bool); !ok || !v {
				b.WriteByte('=')
				writeSFBare(&b, m.Item.Value)
			}
			writeSFParams(&b, m.Item.Params)
		}
		parts[i] = b.String()
	}
	return strings.Join(parts, ", ")
}

// TestRFC9421AppendixB26 checks our signature base against the published
// example (RFC 9421 B.2.6, ed25519 test key from B.1.4).
func TestRFC9421AppendixB26(t *testing.T) {
	pub, err := base64.RawURLEncoding.DecodeString("JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs")
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"hello": "world"}`)
	r := httptest.NewRequest("POST", "/foo?param=Value&Pet=dog", bytes.NewReader(body))
	r.Host = "example.com"
	r.Header.Set("Date", "Tue, 20 Apr 2021 02:07:55 GMT")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Content-Digest", "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:")
	r.Header.Set("Content-Length", "18")
	r.Header.Set("Signature-Input", `sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`)
	r.Header.Set("Signature", `sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:`)

	in, err := parseSignatureInput(r.Header.Get("Signature-Input"), r.Header.Get("Signature"))
	if err != nil {
		t.Fatal(err)
	}
	bases, err := signatureBases(r, in)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		`"date": Tue, 20 Apr 2021 02:07:55 GMT`,
		`"@method": POST`,
		`"@path": /foo`,
		`"@authority": example.com`,
		`"content-type": application/json`,
		`"content-length": 18`,
		`"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`,
	}, "\n")
	if len(bases) != 1 || bases[0] != want {
		t.Fatalf("signature base:\n%q\nwant\n%q", bases, want)
	}
	if err := verifyRFC9421Signature(ed25519.PublicKey(pub), in.Alg, []byte(bases[0]), in.Signature); err != nil {
		t.Fatalf("RFC signature does not verify: %v", err)
	}
	if err := checkContentDigest(r.Header.Values("Content-Digest"), body); err != nil {
		t.Fatalf("RFC content digest: %v", err)
	}
	// Our policy wants content-digest covered on POSTs, like Mastodon.
	res := &staticResolver{keys: map[string]PublicKeyInfo{"test-key-ed25519": {Key: ed25519.PublicKey(pub)}}}
	_, err = VerifyRequest(context.Background(), r, body, res.resolve, VerifyOptions{Now: fixedClock(time.Unix(1618884473, 0))})
	if se := wantSignatureError(t, err, http.StatusUnauthorized); !strings.Contains(se.Reason, "content-digest") {
		t.Fatal(se.Reason)
	}
}
