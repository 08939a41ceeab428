package handlers

// The inbox's hostile-input suite (issue "Run it for real", Hardening).
//
// A few hundred requests are generated in a table, by category, and sent
// over a real loopback connection to the real router. Every one must be
// answered 4xx (never 2xx, never 5xx), quickly, and must leave every table
// as it was. Remote actors are stand-ins served from 127.0.0.1; the SSRF
// category goes to a second server whose private-peers switch is off, and
// its stand-ins must see no connection at all.
//
// inbox_reject_test.go checks one representative of each refusal and its
// metric; this file is about breadth: many variants per refusal, the wire
// (chunked bodies, lying lengths), and the stores behind (SQLite, and
// PostgreSQL when FEDPRESS_TEST_POSTGRES is set).

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"fedpress/federation"
	"fedpress/models"
	"fedpress/models/modelstest"
)

const (
	hostileBlogHost = "blog.test"
	// hostileDeadline bounds one request end to end: a hang fails the case
	// instead of the whole run.
	hostileDeadline = 5 * time.Second
	// hostileFast is what "answered fast" means: refusals are CPU work and
	// at most one key lookup, never a slow remote fetch.
	hostileFast = 2 * time.Second
	asContext   = "https://www.w3.org/ns/activitystreams"
)

var hostileStdHeaders = []string{"(request-target)", "host", "date", "digest"}

// ---- remote stand-ins ----

// hostileActor is a remote account with a key.
type hostileActor struct {
	name, base, uri, keyID string
	key                    *rsa.PrivateKey
}

// hostilePeer is a stand-in remote server on loopback. It serves actor
// documents and a redirect to the cloud metadata address, and counts the
// requests and connections it receives.
type hostilePeer struct {
	srv   *httptest.Server
	base  string
	docs  map[string][]byte // path → actor document; filled before use
	reqs  atomic.Int64
	conns atomic.Int64
}

// newHostilePeer starts a stand-in on listen ("" → 127.0.0.1:0), or
// returns nil when that address cannot be bound (no IPv6 loopback).
func newHostilePeer(t *testing.T, useTLS bool, listen string) *hostilePeer {
	t.Helper()
	p := &hostilePeer{docs: map[string][]byte{}}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	if listen != "" {
		ln, err := net.Listen("tcp", listen)
		if err != nil {
			srv.Listener.Close()
			return nil
		}
		srv.Listener.Close()
		srv.Listener = ln
	}
	if a, err := netip.ParseAddrPort(srv.Listener.Addr().String()); err != nil || !a.Addr().IsLoopback() {
		t.Fatalf("stand-in not on loopback: %s", srv.Listener.Addr())
	}
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			p.conns.Add(1)
		}
	}
	if useTLS {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	p.srv, p.base = srv, srv.URL
	return p
}

func (p *hostilePeer) serve(w http.ResponseWriter, r *http.Request) {
	p.reqs.Add(1)
	if r.URL.Path == "/redirect" {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/iam/security-credentials/", http.StatusFound)
		return
	}
	doc, ok := p.docs[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/activity+json")
	w.Write(doc)
}

func (p *hostilePeer) port() string {
	u, _ := url.Parse(p.base)
	return u.Port()
}

// addActor publishes an actor with key under /users/name.
func (p *hostilePeer) addActor(t *testing.T, name string, key *rsa.PrivateKey) *hostileActor {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	a := &hostileActor{name: name, base: p.base, uri: p.base + "/users/" + name, key: key}
	a.keyID = a.uri + "#main-key"
	p.docs["/users/"+name] = mustJSON(map[string]any{
		"@context": []any{asContext, "https://w3id.org/security/v1"},
		"id":       a.uri, "type": "Person", "preferredUsername": name, "name": strings.ToUpper(name),
		"inbox": a.uri + "/inbox", "followers": a.uri + "/followers",
		"publicKey": map[string]any{"id": a.keyID, "owner": a.uri,
			"publicKeyPem": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))},
	})
	return a
}

// ---- requests ----

// hreq is one request as it goes on the wire.
type hreq struct {
	method, path, host string
	header             http.Header
	body               []byte
	chunked            bool   // no Content-Length: Transfer-Encoding: chunked
	raw                []byte // written as-is on a TCP connection instead
	halfClose          bool   // raw: shut our write side after sending
}

func (h *hreq) line(name, created, expires string) string {
	switch name {
	case "(request-target)":
		return "(request-target): " + strings.ToLower(h.method) + " " + h.path
	case "host":
		return "host: " + h.host
	case "(created)":
		return "(created): " + created
	case "(expires)":
		return "(expires): " + expires
	}
	vals := h.header.Values(name)
	return name + ": " + strings.Join(vals, ", ")
}

// signingString is the draft-cavage string over headers.
func (h *hreq) signingString(headers []string, created, expires string) string {
	lines := make([]string, len(headers))
	for i, name := range headers {
		lines[i] = h.line(name, created, expires)
	}
	return strings.Join(lines, "\n")
}

func rsaSign(key *rsa.PrivateKey, msg string) string {
	d := sha256.Sum256([]byte(msg))
	s, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(s)
}

func cavageHeader(keyID, alg string, headers []string, sig string) string {
	return fmt.Sprintf(`keyId="%s",algorithm="%s",headers="%s",signature="%s"`, keyID, alg, strings.Join(headers, " "), sig)
}

// sign sets a valid draft-cavage Signature from a over the usual headers.
func (h *hreq) sign(a *hostileActor) *hreq {
	return h.signAs(a.keyID, a.key, hostileStdHeaders, hostileStdHeaders)
}

// signAs declares headers in the Signature but signs over signed.
func (h *hreq) signAs(keyID string, key *rsa.PrivateKey, declared, signed []string) *hreq {
	h.header.Set("Signature", cavageHeader(keyID, "rsa-sha256", declared, rsaSign(key, h.signingString(signed, "", ""))))
	return h
}

// signCreated signs hs2019 with (created) (and (expires) when expires != 0).
func (h *hreq) signCreated(a *hostileActor, created, expires int64) *hreq {
	headers := []string{"(request-target)", "host", "(created)", "digest"}
	c, e := strconv.FormatInt(created, 10), strconv.FormatInt(expires, 10)
	params := `keyId="` + a.keyID + `",algorithm="hs2019",created=` + c
	if expires != 0 {
		headers = append(headers, "(expires)")
		params += ",expires=" + e
	}
	sig := rsaSign(a.key, h.signingString(headers, c, e))
	h.header.Set("Signature", params+`,headers="`+strings.Join(headers, " ")+`",signature="`+sig+`"`)
	return h
}

// rfc9421 describes an RFC 9421 signature to produce.
type rfc9421 struct {
	label         string   // "" → sig1
	comps         []string // nil → @method @target-uri content-digest
	signedComps   []string // what the base really covers; nil → comps
	created       int64    // 0 → now
	noCreated     bool
	expires       int64
	keyID         string // "" → the signer's
	noKeyID       bool
	alg           string
	key           *rsa.PrivateKey // nil → the signer's
	targetPath    string          // @target-uri path signed; "" → h.path
	createdSigned int64           // created in the base; 0 → created
}

func (h *hreq) comp9421(name, targetPath string) string {
	switch name {
	case "@method":
		return h.method
	case "@target-uri":
		return "http://" + h.host + targetPath
	case "@authority":
		return h.host
	case "@path", "@request-target":
		return targetPath
	}
	return strings.Join(h.header.Values(name), ", ")
}

func sfParams(p rfc9421, comps []string, created int64, keyID string) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, c := range comps {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Quote(c))
	}
	b.WriteByte(')')
	if !p.noCreated {
		b.WriteString(";created=" + strconv.FormatInt(created, 10))
	}
	if p.expires != 0 {
		b.WriteString(";expires=" + strconv.FormatInt(p.expires, 10))
	}
	if !p.noKeyID {
		b.WriteString(`;keyid="` + keyID + `"`)
	}
	if p.alg != "" {
		b.WriteString(`;alg="` + p.alg + `"`)
	}
	return b.String()
}

// sign9421 sets Content-Digest-signed RFC 9421 headers from a.
func (h *hreq) sign9421(a *hostileActor, p rfc9421) *hreq {
	if p.label == "" {
		p.label = "sig1"
	}
	if p.comps == nil {
		p.comps = []string{"@method", "@target-uri", "content-digest"}
	}
	if p.signedComps == nil {
		p.signedComps = p.comps
	}
	if p.created == 0 {
		p.created = time.Now().Unix()
	}
	if p.createdSigned == 0 {
		p.createdSigned = p.created
	}
	if p.keyID == "" {
		p.keyID = a.keyID
	}
	if p.key == nil {
		p.key = a.key
	}
	if p.targetPath == "" {
		p.targetPath = h.path
	}
	var base strings.Builder
	for _, c := range p.signedComps {
		base.WriteString(strconv.Quote(c) + ": " + h.comp9421(c, p.targetPath) + "\n")
	}
	base.WriteString(`"@signature-params": ` + sfParams(p, p.signedComps, p.createdSigned, p.keyID))
	h.header.Set("Signature-Input", p.label+"="+sfParams(p, p.comps, p.created, p.keyID))
	h.header.Set("Signature", p.label+"=:"+rsaSign(p.key, base.String())+":")
	return h
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func sha256b64(b []byte) string { d := sha256.Sum256(b); return b64(d[:]) }

func sha512b64(b []byte) string { d := sha512.Sum512(b); return b64(d[:]) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// ---- the table ----

// hcase is one hostile request.
type hcase struct {
	cat, name string
	ssrf      bool   // sent to the server that refuses private peers
	mayFetch  bool   // names a key not cached: one fetch from the stand-in is fine
	want      int    // exact status; 0: any 4xx
	reason    string // substring of the refusal's reason ("" → not checked)
	build     func() *hreq
}

func (c hcase) fetch() hcase { c.mayFetch = true; return c }

type hostileTable struct{ cases []hcase }

func (tb *hostileTable) add(cs ...hcase) { tb.cases = append(tb.cases, cs...) }

func hc(cat, name string, want int, reason string, build func() *hreq) hcase {
	return hcase{cat: cat, name: name, want: want, reason: reason, build: build}
}

// hostileEnv is one backend's world: the blog, its twin with private
// peers refused, and the stand-ins.
type hostileEnv struct {
	t                *testing.T
	ts, ssrfTS       *testServer
	front, ssrfFront string // real listeners on 127.0.0.1
	peer, peer2      *hostilePeer
	bob, carol, eve  *hostileActor
	mallory          *rsa.PrivateKey // a key nobody publishes
	article          string
	client           *http.Client
	rnd              *mrand.Rand
	seq              int
}

var inboxPaths = []string{"/inbox", "/users/blog/inbox", "/actor/inbox"}

func (e *hostileEnv) id(a *hostileActor, kind string) string {
	e.seq++
	return fmt.Sprintf("%s/%s/%d", a.base, kind, e.seq)
}

// activity is a JSON activity from actor a of type typ; extra overrides.
func (e *hostileEnv) activity(a *hostileActor, typ string, extra map[string]any) []byte {
	m := map[string]any{"@context": asContext, "type": typ, "id": e.id(a, strings.ToLower(typ)), "actor": a.uri, "object": e.article}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return mustJSON(m)
}

func (e *hostileEnv) like(a *hostileActor) []byte { return e.activity(a, "Like", nil) }

// likeText is a Like as text, for byte-level mutations.
func (e *hostileEnv) likeText(a *hostileActor) string { return e.likeWith(a, "", "") }

// likeWith is likeText with field k's value replaced by the raw JSON v.
func (e *hostileEnv) likeWith(a *hostileActor, k, v string) string {
	fields := [][2]string{{"@context", strconv.Quote(asContext)}, {"type", `"Like"`}, {"id", strconv.Quote(e.id(a, "likes"))},
		{"actor", strconv.Quote(a.uri)}, {"object", strconv.Quote(e.article)}}
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		if f[0] == k {
			f[1] = v
		}
		b.WriteString(strconv.Quote(f[0]) + ":" + f[1])
	}
	b.WriteByte('}')
	return b.String()
}

// unsigned is a POST with a fresh Date and a correct Digest but no signature.
func (e *hostileEnv) unsigned(path string, body []byte) *hreq {
	h := &hreq{method: http.MethodPost, path: path, host: hostileBlogHost, header: http.Header{}, body: body}
	h.header.Set("Content-Type", "application/activity+json")
	h.header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	h.header.Set("Digest", "SHA-256="+sha256b64(body))
	return h
}

// signed is a valid request from a.
func (e *hostileEnv) signed(a *hostileActor, path string, body []byte) *hreq {
	return e.unsigned(path, body).sign(a)
}

// signed9421 is a valid RFC 9421 request from a (p tweaks it).
func (e *hostileEnv) signed9421(a *hostileActor, path string, body []byte, p rfc9421) *hreq {
	h := e.unsigned(path, body)
	h.header.Del("Digest")
	h.header.Set("Content-Digest", "sha-256=:"+sha256b64(body)+":")
	return h.sign9421(a, p)
}

// withSig builds a valid Like from bob whose Signature header is replaced
// by f(valid signature value).
func (e *hostileEnv) withSig(path string, f func(h *hreq, sig string) string) func() *hreq {
	return func() *hreq {
		h := e.unsigned(path, e.like(e.bob))
		sig := rsaSign(e.bob.key, h.signingString(hostileStdHeaders, "", ""))
		h.header.Set("Signature", f(h, sig))
		return h
	}
}

func (e *hostileEnv) randB64(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(e.rnd.UintN(256))
	}
	return b64(b)
}

func httpDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

// ---- categories ----

func (e *hostileEnv) absentSignature(tb *hostileTable) {
	const cat = "absent signature"
	variants := []struct {
		name, reason string
		mod          func(h *hreq)
	}{
		{"no signature header", "not signed", func(h *hreq) {}},
		{"empty Signature header", "not signed", func(h *hreq) { h.header.Set("Signature", "") }},
		{"Authorization: Signature without params", "not signed", func(h *hreq) { h.header.Set("Authorization", "Signature") }},
		{"Authorization: Signature and blanks", "not signed", func(h *hreq) { h.header.Set("Authorization", "Signature   ") }},
		{"Authorization: Bearer", "not signed", func(h *hreq) { h.header.Set("Authorization", "Bearer "+e.randB64(24)) }},
		{"Authorization: Basic", "not signed", func(h *hreq) { h.header.Set("Authorization", "Basic "+b64([]byte("bob:hunter2"))) }},
		{"empty Signature-Input and Signature", "not signed", func(h *hreq) { h.header.Set("Signature-Input", ""); h.header.Set("Signature", "") }},
		{"valid signature under a misspelled header", "not signed", func(h *hreq) {
			h.sign(e.bob)
			h.header.Set("Signatures", h.header.Get("Signature"))
			h.header.Del("Signature")
		}},
		{"valid signature under X-Signature", "not signed", func(h *hreq) {
			h.sign(e.bob)
			h.header.Set("X-Http-Signature", h.header.Get("Signature"))
			h.header.Del("Signature")
		}},
		{"Signature-Input without Signature", "Signature is missing", func(h *hreq) {
			h.header.Set("Signature-Input", `sig1=("@method" "@target-uri" "content-digest");created=`+strconv.FormatInt(time.Now().Unix(), 10)+`;keyid="`+e.bob.keyID+`"`)
		}},
	}
	for _, path := range inboxPaths {
		for _, v := range variants {
			tb.add(hc(cat, v.name+" "+path, http.StatusUnauthorized, v.reason, func() *hreq {
				h := e.unsigned(path, e.like(e.bob))
				v.mod(h)
				return h
			}))
		}
	}
}

func (e *hostileEnv) garbageSignatures(tb *hostileTable) {
	const cat = "garbage signature"
	bad, unauth := http.StatusBadRequest, http.StatusUnauthorized
	std := strings.Join(hostileStdHeaders, " ")
	kv := func(keyID, alg, headers, sig string) string {
		return fmt.Sprintf(`keyId="%s",algorithm="%s",headers="%s",signature="%s"`, keyID, alg, headers, sig)
	}
	pad := strings.Repeat("A", 100<<10)
	cases := []struct {
		name   string
		want   int
		reason string
		f      func(h *hreq, sig string) string
		fetch  bool
	}{
		{"random base64 as the header", bad, "malformed Signature header", func(h *hreq, sig string) string { return e.randB64(48) }, false},
		{"not base64 at all", bad, "malformed Signature header", func(h *hreq, sig string) string { return "%%%%!!!!****" }, false},
		{"random base64 signature", unauth, "does not verify", func(h *hreq, sig string) string { return kv(e.bob.keyID, "rsa-sha256", std, e.randB64(256)) }, false},
		{"signature not base64", bad, "not valid base64", func(h *hreq, sig string) string { return kv(e.bob.keyID, "rsa-sha256", std, "!!not*base64!!") }, false},
		{"signature truncated to half", 0, "", func(h *hreq, sig string) string { return kv(e.bob.keyID, "rsa-sha256", std, sig[:len(sig)/2]) }, false},
		{"signature short by four characters", unauth, "does not verify", func(h *hreq, sig string) string { return kv(e.bob.keyID, "rsa-sha256", std, sig[:len(sig)-4]) }, false},
		{"signature of zero bytes", bad, "missing signature", func(h *hreq, sig string) string { return kv(e.bob.keyID, "rsa-sha256", std, "") }, false},
		{"unterminated quote", bad, "unterminated", func(h *hreq, sig string) string { return `keyId="` + e.bob.keyID + `",signature="` + sig }, false},
		{"100 KB header", bad, "too long", func(h *hreq, sig string) string { return kv(e.bob.keyID, "rsa-sha256", std, sig) + `,x="` + pad + `"` }, false},
		{"100 KB keyId", bad, "too long", func(h *hreq, sig string) string { return kv(e.bob.keyID+pad, "rsa-sha256", std, sig) }, false},
		{"algorithm rsa-md5", unauth, "unsupported signature algorithm", func(h *hreq, sig string) string { return kv(e.bob.keyID, "rsa-md5", std, sig) }, false},
		{"algorithm hmac-sha256", unauth, "unsupported signature algorithm", func(h *hreq, sig string) string { return kv(e.bob.keyID, "hmac-sha256", std, sig) }, false},
		{"algorithm none", unauth, "unsupported signature algorithm", func(h *hreq, sig string) string { return kv(e.bob.keyID, "none", std, sig) }, false},
		{"algorithm ecdsa-sha256", unauth, "unsupported signature algorithm", func(h *hreq, sig string) string { return kv(e.bob.keyID, "ecdsa-sha256", std, sig) }, false},
		{"keyId missing", bad, "missing keyId", func(h *hreq, sig string) string {
			return fmt.Sprintf(`algorithm="rsa-sha256",headers="%s",signature="%s"`, std, sig)
		}, false},
		{"keyId empty", bad, "missing keyId", func(h *hreq, sig string) string { return kv("", "rsa-sha256", std, sig) }, false},
		{"keyId not a URL", bad, "not an http(s) URL", func(h *hreq, sig string) string { return kv("bob", "rsa-sha256", std, sig) }, false},
		{"keyId acct: URI", bad, "not an http(s) URL", func(h *hreq, sig string) string { return kv("acct:bob@127.0.0.1", "rsa-sha256", std, sig) }, false},
		{"keyId urn:uuid", bad, "not an http(s) URL", func(h *hreq, sig string) string {
			return kv("urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e", "rsa-sha256", std, sig)
		}, false},
		{"keyId scheme-relative", bad, "not an http(s) URL", func(h *hreq, sig string) string {
			return kv(strings.TrimPrefix(e.bob.keyID, "http:"), "rsa-sha256", std, sig)
		}, false},
		{"headers param missing", unauth, "(request-target) must be signed", func(h *hreq, sig string) string {
			return fmt.Sprintf(`keyId="%s",algorithm="rsa-sha256",signature="%s"`, e.bob.keyID, sig)
		}, false},
		{"headers param empty", unauth, "(request-target) must be signed", func(h *hreq, sig string) string { return kv(e.bob.keyID, "rsa-sha256", "", sig) }, false},
		{"headers: (request-target) only", unauth, "host must be signed", func(h *hreq, sig string) string {
			return kv(e.bob.keyID, "rsa-sha256", "(request-target)", rsaSign(e.bob.key, h.signingString([]string{"(request-target)"}, "", "")))
		}, false},
		{"headers: no date", unauth, "date or (created) must be signed", func(h *hreq, sig string) string {
			hs := []string{"(request-target)", "host", "digest"}
			return kv(e.bob.keyID, "rsa-sha256", strings.Join(hs, " "), rsaSign(e.bob.key, h.signingString(hs, "", "")))
		}, false},
		{"headers: unknown pseudo-header", unauth, "unsupported pseudo-header", func(h *hreq, sig string) string {
			return kv(e.bob.keyID, "rsa-sha256", std+" (foo)", sig)
		}, false},
		{"headers: absent header", unauth, "x-missing is missing", func(h *hreq, sig string) string {
			return kv(e.bob.keyID, "rsa-sha256", std+" x-missing", sig)
		}, false},
		{"duplicated keyId", bad, "duplicate parameter", func(h *hreq, sig string) string {
			return `keyId="` + e.carol.keyID + `",` + kv(e.bob.keyID, "rsa-sha256", std, sig)
		}, false},
		{"duplicated signature", bad, "duplicate parameter", func(h *hreq, sig string) string {
			return kv(e.bob.keyID, "rsa-sha256", std, sig) + `,signature="` + e.randB64(256) + `"`
		}, false},
		{"duplicated headers", bad, "duplicate parameter", func(h *hreq, sig string) string {
			return kv(e.bob.keyID, "rsa-sha256", std, sig) + `,headers="date"`
		}, false},
		{"duplicated algorithm", bad, "duplicate parameter", func(h *hreq, sig string) string {
			return kv(e.bob.keyID, "rsa-sha256", std, sig) + `,algorithm="hs2019"`
		}, false},
		{"keyId and keyid", bad, "duplicate parameter", func(h *hreq, sig string) string {
			return kv(e.bob.keyID, "rsa-sha256", std, sig) + `,keyid="` + e.carol.keyID + `"`
		}, false},
		{"unicode keyId", unauth, "could not fetch key", func(h *hreq, sig string) string {
			return kv(e.peer.base+"/users/bøb#main-key", "rsa-sha256", std, sig)
		}, true},
		{"unicode parameter name", bad, "malformed Signature header", func(h *hreq, sig string) string {
			return strings.Replace(kv(e.bob.keyID, "rsa-sha256", std, sig), "keyId", "kéyId", 1)
		}, false},
		{"unicode in the signature", bad, "not valid base64", func(h *hreq, sig string) string {
			return kv(e.bob.keyID, "rsa-sha256", std, "séñal"+sig[5:])
		}, false},
		{"unicode header", bad, "malformed Signature header", func(h *hreq, sig string) string { return "签名=" + sig }, false},
		{"invalid UTF-8 in keyId", 0, "", func(h *hreq, sig string) string {
			return kv(e.peer.base+"/users/b\xffob#main-key", "rsa-sha256", std, sig)
		}, true},
		{"overlong UTF-8 in keyId", 0, "", func(h *hreq, sig string) string {
			return kv(e.peer.base+"/users/\xc0\xae\xc0\xae#main-key", "rsa-sha256", std, sig)
		}, true},
		{"right-to-left override in keyId", bad, "", func(h *hreq, sig string) string {
			return kv("\u202e"+e.bob.keyID, "rsa-sha256", std, sig)
		}, false},
		{"semicolon separators", bad, "malformed Signature header", func(h *hreq, sig string) string {
			return strings.ReplaceAll(kv(e.bob.keyID, "rsa-sha256", std, sig), `",`, `";`)
		}, false},
		{"junk after a value", bad, "malformed Signature header", func(h *hreq, sig string) string {
			return strings.Replace(kv(e.bob.keyID, "rsa-sha256", std, sig), `",`, `"junk,`, 1)
		}, false},
		{"stray quote in a bare value", bad, "stray quote", func(h *hreq, sig string) string {
			return `keyId=ab"c,` + kv(e.bob.keyID, "rsa-sha256", std, sig)[len(`keyId="`+e.bob.keyID+`",`):]
		}, false},
		{"parameter without value", bad, "has no value", func(h *hreq, sig string) string { return "keyId," + kv(e.bob.keyID, "rsa-sha256", std, sig) }, false},
		{"only commas", bad, "missing keyId", func(h *hreq, sig string) string { return ",,,, ,,," }, false},
		{"RFC 9421 value without Signature-Input", bad, "missing keyId", func(h *hreq, sig string) string { return "sig1=:" + sig + ":" }, false},
		{"created not a number", bad, "invalid created", func(h *hreq, sig string) string {
			return `keyId="` + e.bob.keyID + `",algorithm="hs2019",created=yesterday,headers="(request-target) host (created) digest",signature="` + sig + `"`
		}, false},
		{"expires not a number", bad, "invalid expires", func(h *hreq, sig string) string { return kv(e.bob.keyID, "rsa-sha256", std, sig) + `,expires=soon` }, false},
		{"created overflows", bad, "invalid created", func(h *hreq, sig string) string {
			return `keyId="` + e.bob.keyID + `",algorithm="hs2019",created=99999999999999999999999,headers="(request-target) host (created) digest",signature="` + sig + `"`
		}, false},
		{"negative created", bad, "invalid created", func(h *hreq, sig string) string {
			return `keyId="` + e.bob.keyID + `",algorithm="hs2019",created=-1,headers="(request-target) host (created) digest",signature="` + sig + `"`
		}, false},
	}
	for i, c := range cases {
		path := inboxPaths[i%len(inboxPaths)]
		k := hc(cat, c.name+" "+path, c.want, c.reason, e.withSig(path, c.f))
		if c.fetch {
			k = k.fetch()
		}
		tb.add(k)
	}
	// The same garbage through Authorization: Signature.
	tb.add(hc(cat, "Authorization: Signature, 100 KB", bad, "too long", func() *hreq {
		h := e.withSig("/inbox", func(h *hreq, sig string) string { return "" })()
		h.header.Del("Signature")
		h.header.Set("Authorization", "Signature "+kv(e.bob.keyID, "rsa-sha256", std, "x")+`,x="`+pad+`"`)
		return h
	}))
	tb.add(hc(cat, "Authorization: Signature keyId only", bad, "malformed Signature header", func() *hreq {
		h := e.unsigned("/inbox", e.like(e.bob))
		h.header.Set("Authorization", "Signature keyId")
		return h
	}))
	tb.add(hc(cat, "Authorization: Signature, random signature", unauth, "does not verify", func() *hreq {
		h := e.unsigned("/users/blog/inbox", e.like(e.bob))
		h.header.Set("Authorization", "Signature "+kv(e.bob.keyID, "rsa-sha256", std, e.randB64(256)))
		return h
	}))

	// RFC 9421 garbage.
	now := strconv.FormatInt(time.Now().Unix(), 10)
	rfc := []struct {
		name, input, sig string
		want             int
		reason           string
	}{
		{"Signature-Input garbage", "!!!", "sig1=:AAAA:", bad, "malformed RFC 9421"},
		{"inner list unterminated", `sig1=("@method" "@target-uri"`, "sig1=:AAAA:", bad, "malformed RFC 9421"},
		{"keyid an integer", `sig1=("@method" "@target-uri" "content-digest");created=` + now + `;keyid=5`, "sig1=:AAAA:", bad, "keyid must be a string"},
		{"created a string", `sig1=("@method" "@target-uri" "content-digest");created="now";keyid="` + e.bob.keyID + `"`, "sig1=:AAAA:", bad, "created must be an integer"},
		{"component parameters", `sig1=("@method" "@target-uri" "content-digest";sf);created=` + now + `;keyid="` + e.bob.keyID + `"`, "sig1=:AAAA:", bad, "component parameters"},
		{"upper-case component", `sig1=("@Method" "@target-uri" "content-digest");created=` + now + `;keyid="` + e.bob.keyID + `"`, "sig1=:AAAA:", bad, "lower-case"},
		{"repeated component", `sig1=("@method" "@method" "@target-uri" "content-digest");created=` + now + `;keyid="` + e.bob.keyID + `"`, "sig1=:AAAA:", bad, "repeated"},
		{"token components", `sig1=(method target);created=` + now + `;keyid="` + e.bob.keyID + `"`, "sig1=:AAAA:", bad, "must be strings"},
		{"alg hmac-sha256", `sig1=("@method" "@target-uri" "content-digest");created=` + now + `;keyid="` + e.bob.keyID + `";alg="hmac-sha256"`, "sig1=:AAAA:", unauth, "unsupported signature algorithm"},
		{"no keyid", `sig1=("@method" "@target-uri" "content-digest");created=` + now, "sig1=:AAAA:", unauth, "has no keyid"},
		{"signature a string", `sig1=("@method" "@target-uri" "content-digest");created=` + now + `;keyid="` + e.bob.keyID + `"`, `sig1="AAAA"`, bad, "no signature label"},
		{"labels differ", `sig1=("@method" "@target-uri" "content-digest");created=` + now + `;keyid="` + e.bob.keyID + `"`, "sig2=:AAAA:", bad, "no signature label"},
		{"signature not base64", `sig1=("@method" "@target-uri" "content-digest");created=` + now + `;keyid="` + e.bob.keyID + `"`, "sig1=:!!!:", bad, "malformed RFC 9421"},
		{"random signature", `sig1=("@method" "@target-uri" "content-digest");created=` + now + `;keyid="` + e.bob.keyID + `"`, "sig1=:" + e.randB64(256) + ":", unauth, "does not verify"},
		{"100 KB Signature-Input", `sig1=("@method" "@target-uri" "content-digest");created=` + now + `;keyid="` + e.bob.keyID + `";x="` + pad + `"`, "sig1=:AAAA:", 0, ""},
		{"unicode in Signature-Input", `sig1=("@méthod" "@target-uri");created=` + now + `;keyid="` + e.bob.keyID + `"`, "sig1=:AAAA:", bad, "malformed RFC 9421"},
		{"keyid not a URL", `sig1=("@method" "@target-uri" "content-digest");created=` + now + `;keyid="bob"`, "sig1=:" + e.randB64(256) + ":", bad, "not an http(s) URL"},
	}
	for i, c := range rfc {
		path := inboxPaths[i%len(inboxPaths)]
		tb.add(hc(cat, "RFC 9421 "+c.name+" "+path, c.want, c.reason, func() *hreq {
			body := e.like(e.bob)
			h := e.unsigned(path, body)
			h.header.Del("Digest")
			h.header.Set("Content-Digest", "sha-256=:"+sha256b64(body)+":")
			h.header.Set("Signature-Input", c.input)
			h.header.Set("Signature", c.sig)
			return h
		}))
	}
}

func (e *hostileEnv) forgedSignatures(tb *hostileTable) {
	const cat = "forged signature"
	unauth := http.StatusUnauthorized
	verify := "does not verify"
	add := func(name string, want int, reason string, f func() *hreq) { tb.add(hc(cat, name, want, reason, f)) }

	add("keyId names bob, mallory's key signs", unauth, verify, func() *hreq {
		return e.unsigned("/inbox", e.like(e.bob)).signAs(e.bob.keyID, e.mallory, hostileStdHeaders, hostileStdHeaders)
	})
	add("keyId names bob, mallory's key signs (personal inbox)", unauth, verify, func() *hreq {
		return e.unsigned("/users/blog/inbox", e.like(e.bob)).signAs(e.bob.keyID, e.mallory, hostileStdHeaders, hostileStdHeaders)
	})
	add("keyId names carol, bob's key signs carol's activity", unauth, verify, func() *hreq {
		return e.unsigned("/inbox", e.like(e.carol)).signAs(e.carol.keyID, e.bob.key, hostileStdHeaders, hostileStdHeaders)
	})
	add("keyId names eve (other host), bob's key signs", unauth, verify, func() *hreq {
		return e.unsigned("/inbox", e.like(e.eve)).signAs(e.eve.keyID, e.bob.key, hostileStdHeaders, hostileStdHeaders)
	})
	add("declares digest, signs without it", unauth, verify, func() *hreq {
		return e.unsigned("/inbox", e.like(e.bob)).signAs(e.bob.keyID, e.bob.key, hostileStdHeaders, []string{"(request-target)", "host", "date"})
	})
	add("declared order differs from the signed order", unauth, verify, func() *hreq {
		return e.unsigned("/inbox", e.like(e.bob)).signAs(e.bob.keyID, e.bob.key, hostileStdHeaders, []string{"host", "(request-target)", "date", "digest"})
	})
	add("declares content-type, signs another", unauth, verify, func() *hreq {
		h := e.unsigned("/inbox", e.like(e.bob))
		decl := append(append([]string{}, hostileStdHeaders...), "content-type")
		h.signAs(e.bob.keyID, e.bob.key, decl, decl)
		h.header.Set("Content-Type", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
		return h
	})
	add("request-target signed in upper case", unauth, verify, func() *hreq {
		h := e.unsigned("/inbox", e.like(e.bob))
		s := strings.Replace(h.signingString(hostileStdHeaders, "", ""), "post /inbox", "POST /inbox", 1)
		h.header.Set("Signature", cavageHeader(e.bob.keyID, "rsa-sha256", hostileStdHeaders, rsaSign(e.bob.key, s)))
		return h
	})
	add("algorithm ed25519 over an RSA signature", unauth, verify, func() *hreq {
		h := e.unsigned("/inbox", e.like(e.bob))
		h.header.Set("Signature", cavageHeader(e.bob.keyID, "ed25519", hostileStdHeaders, rsaSign(e.bob.key, h.signingString(hostileStdHeaders, "", ""))))
		return h
	})
	add("PKCS#1 v1.5 with SHA-512", unauth, verify, func() *hreq {
		h := e.unsigned("/inbox", e.like(e.bob))
		d := sha512.Sum512([]byte(h.signingString(hostileStdHeaders, "", "")))
		s, _ := rsa.SignPKCS1v15(rand.Reader, e.bob.key, crypto.SHA512, d[:])
		h.header.Set("Signature", cavageHeader(e.bob.keyID, "rsa-sha256", hostileStdHeaders, b64(s)))
		return h
	})
	add("RSA-PSS instead of PKCS#1 v1.5", unauth, verify, func() *hreq {
		h := e.unsigned("/inbox", e.like(e.bob))
		d := sha256.Sum256([]byte(h.signingString(hostileStdHeaders, "", "")))
		s, _ := rsa.SignPSS(rand.Reader, e.bob.key, crypto.SHA256, d[:], nil)
		h.header.Set("Signature", cavageHeader(e.bob.keyID, "rsa-sha256", hostileStdHeaders, b64(s)))
		return h
	})
	add("signature over the empty string", unauth, verify, func() *hreq {
		h := e.unsigned("/inbox", e.like(e.bob))
		h.header.Set("Signature", cavageHeader(e.bob.keyID, "rsa-sha256", hostileStdHeaders, rsaSign(e.bob.key, "")))
		return h
	})
	add("signature of another request", unauth, verify, func() *hreq {
		other := e.signed(e.bob, "/inbox", e.like(e.bob))
		h := e.unsigned("/inbox", e.like(e.bob))
		h.header.Set("Signature", other.header.Get("Signature"))
		return h
	})
	add("replay on a different body (Digest kept)", http.StatusBadRequest, "does not match the body", func() *hreq {
		h := e.signed(e.bob, "/inbox", e.like(e.bob))
		h.body = e.like(e.bob)
		return h
	})
	add("replay on a different body (Digest recomputed)", unauth, verify, func() *hreq {
		h := e.signed(e.bob, "/inbox", e.like(e.bob))
		h.body = e.like(e.bob)
		h.header.Set("Digest", "SHA-256="+sha256b64(h.body))
		return h
	})
	add("replay on a Follow (Digest recomputed)", unauth, verify, func() *hreq {
		h := e.signed(e.bob, "/inbox", e.like(e.bob))
		h.body = e.activity(e.bob, "Follow", map[string]any{"object": "http://blog.test/users/blog"})
		h.header.Set("Digest", "SHA-256="+sha256b64(h.body))
		return h
	})
	for _, p := range [][2]string{{"/inbox", "/users/blog/inbox"}, {"/users/blog/inbox", "/actor/inbox"}, {"/actor/inbox", "/inbox"}, {"/users/blog/inbox", "/users/alice/inbox"}} {
		add("replay from "+p[0]+" on "+p[1], unauth, verify, func() *hreq {
			h := e.signed(e.bob, p[0], e.like(e.bob))
			h.path = p[1]
			return h
		})
	}
	for _, host := range []string{"evil.test", "blog.test:80", "BLOG.TEST", "blog.test.evil.test"} {
		add("replay on host "+host, unauth, verify, func() *hreq {
			h := e.signed(e.bob, "/inbox", e.like(e.bob))
			h.host = host
			return h
		})
	}
	add("replay with a fresh Date", unauth, verify, func() *hreq {
		h := e.unsigned("/inbox", e.like(e.bob))
		h.header.Set("Date", httpDate(time.Now().Add(-30*time.Minute)))
		h.sign(e.bob)
		h.header.Set("Date", httpDate(time.Now()))
		return h
	})
	add("replay with a new (created)", unauth, verify, func() *hreq {
		old := time.Now().Add(-30 * time.Minute).Unix()
		h := e.unsigned("/inbox", e.like(e.bob)).signCreated(e.bob, old, 0)
		h.header.Set("Signature", strings.Replace(h.header.Get("Signature"), "created="+strconv.FormatInt(old, 10), "created="+strconv.FormatInt(time.Now().Unix(), 10), 1))
		return h
	})
	add("two Signature headers, forged first", unauth, verify, func() *hreq {
		h := e.signed(e.bob, "/inbox", e.like(e.bob))
		valid := h.header.Get("Signature")
		h.header.Set("Signature", cavageHeader(e.bob.keyID, "rsa-sha256", hostileStdHeaders, rsaSign(e.mallory, h.signingString(hostileStdHeaders, "", ""))))
		h.header.Add("Signature", valid)
		return h
	})
	add("forged Signature, valid Authorization", unauth, verify, func() *hreq {
		h := e.signed(e.bob, "/inbox", e.like(e.bob))
		h.header.Set("Authorization", "Signature "+h.header.Get("Signature"))
		h.header.Set("Signature", cavageHeader(e.bob.keyID, "rsa-sha256", hostileStdHeaders, rsaSign(e.mallory, h.signingString(hostileStdHeaders, "", ""))))
		return h
	})
	add("keyId names a key bob does not publish", unauth, "could not fetch key", func() *hreq {
		return e.unsigned("/inbox", e.like(e.bob)).signAs(e.bob.uri+"#other-key", e.bob.key, hostileStdHeaders, hostileStdHeaders)
	})
	tb.cases[len(tb.cases)-1].mayFetch = true
	add("keyId is the actor without a fragment", unauth, "could not fetch key", func() *hreq {
		return e.unsigned("/inbox", e.like(e.bob)).signAs(e.bob.uri, e.bob.key, hostileStdHeaders, hostileStdHeaders)
	})
	tb.cases[len(tb.cases)-1].mayFetch = true
	add("keyId of an actor that does not exist", unauth, "could not fetch key", func() *hreq {
		return e.unsigned("/inbox", e.like(e.bob)).signAs(e.peer.base+"/users/nobody#main-key", e.mallory, hostileStdHeaders, hostileStdHeaders)
	})
	tb.cases[len(tb.cases)-1].mayFetch = true

	// RFC 9421.
	add("RFC 9421 keyid bob, mallory's key signs", unauth, verify, func() *hreq {
		return e.signed9421(e.bob, "/inbox", e.like(e.bob), rfc9421{key: e.mallory})
	})
	add("RFC 9421 @target-uri of another path", unauth, verify, func() *hreq {
		return e.signed9421(e.bob, "/inbox", e.like(e.bob), rfc9421{targetPath: "/users/blog/inbox"})
	})
	add("RFC 9421 replay on a different body", http.StatusBadRequest, "does not match the body", func() *hreq {
		h := e.signed9421(e.bob, "/inbox", e.like(e.bob), rfc9421{})
		h.body = e.like(e.bob)
		return h
	})
	add("RFC 9421 replay on a different body, digest recomputed", unauth, verify, func() *hreq {
		h := e.signed9421(e.bob, "/inbox", e.like(e.bob), rfc9421{})
		h.body = e.like(e.bob)
		h.header.Set("Content-Digest", "sha-256=:"+sha256b64(h.body)+":")
		return h
	})
	add("RFC 9421 declares components it did not sign", unauth, verify, func() *hreq {
		return e.signed9421(e.bob, "/inbox", e.like(e.bob), rfc9421{signedComps: []string{"@method", "@target-uri"}})
	})
	add("RFC 9421 created changed after signing", unauth, verify, func() *hreq {
		return e.signed9421(e.bob, "/inbox", e.like(e.bob), rfc9421{createdSigned: time.Now().Add(-time.Minute).Unix()})
	})
	add("RFC 9421 alg rsa-pss-sha512 over a v1.5 signature", unauth, verify, func() *hreq {
		return e.signed9421(e.bob, "/inbox", e.like(e.bob), rfc9421{alg: "rsa-pss-sha512"})
	})
	add("RFC 9421 keyid of carol, bob signs carol's activity", unauth, verify, func() *hreq {
		return e.signed9421(e.bob, "/inbox", e.like(e.carol), rfc9421{keyID: e.carol.keyID})
	})
	add("RFC 9421 replay on another host", unauth, verify, func() *hreq {
		h := e.signed9421(e.bob, "/users/blog/inbox", e.like(e.bob), rfc9421{})
		h.host = "evil.test"
		return h
	})
	add("Signature-Input with a draft-cavage Signature", http.StatusBadRequest, "malformed RFC 9421", func() *hreq {
		h := e.signed(e.bob, "/inbox", e.like(e.bob))
		h.header.Set("Signature-Input", `sig1=("@method" "@target-uri" "content-digest");created=`+strconv.FormatInt(time.Now().Unix(), 10)+`;keyid="`+e.bob.keyID+`"`)
		return h
	})
}

func (e *hostileEnv) digestTricks(tb *hostileTable) {
	const cat = "digest"
	bad, unauth := http.StatusBadRequest, http.StatusUnauthorized
	// Each variant sets Digest (from the body) before bob signs.
	variants := []struct {
		name   string
		want   int
		reason string
		digest func(body []byte) []string // nil result: no Digest header
	}{
		{"missing Digest (declared)", unauth, "Digest header is missing", func(b []byte) []string { return nil }},
		{"SHA-1 only", unauth, "must contain SHA-256", func(b []byte) []string { d := sha1.Sum(b); return []string{"SHA=" + b64(d[:])} }},
		{"MD5 only", unauth, "must contain SHA-256", func(b []byte) []string { d := md5.Sum(b); return []string{"MD5=" + b64(d[:])} }},
		{"SHA-512 only", unauth, "must contain SHA-256", func(b []byte) []string { return []string{"SHA-512=" + sha512b64(b)} }},
		{"unknown algorithm only", unauth, "must contain SHA-256", func(b []byte) []string { return []string{"UNIXsum=30637"} }},
		{"digest of a different body", bad, "does not match the body", func(b []byte) []string { return []string{"SHA-256=" + sha256b64(append(b, ' '))} }},
		{"digest of the empty body", bad, "does not match the body", func(b []byte) []string { return []string{"SHA-256=" + sha256b64(nil)} }},
		{"two digests, second wrong", bad, "does not match the body", func(b []byte) []string {
			return []string{"SHA-256=" + sha256b64(b) + ",SHA-256=" + sha256b64(nil)}
		}},
		{"two digests, first wrong", bad, "does not match the body", func(b []byte) []string {
			return []string{"SHA-256=" + sha256b64(nil) + ", SHA-256=" + sha256b64(b)}
		}},
		{"two Digest headers, one wrong", bad, "does not match the body", func(b []byte) []string {
			return []string{"SHA-256=" + sha256b64(b), "SHA-256=" + sha256b64(nil)}
		}},
		{"right SHA-256, wrong SHA-512", bad, "does not match the body", func(b []byte) []string {
			return []string{"SHA-256=" + sha256b64(b) + ",SHA-512=" + sha512b64(nil)}
		}},
		{"malformed base64", bad, "not a valid base64", func(b []byte) []string { return []string{"SHA-256=@@@@not-base64@@@@"} }},
		{"unpadded base64", bad, "not a valid base64", func(b []byte) []string { return []string{"SHA-256=" + strings.TrimRight(sha256b64(b), "=")} }},
		{"hex instead of base64", bad, "not a valid base64", func(b []byte) []string { d := sha256.Sum256(b); return []string{"SHA-256=" + fmt.Sprintf("%x", d)} }},
		{"empty value", bad, "not a valid base64", func(b []byte) []string { return []string{"SHA-256="} }},
		{"no '='", bad, "malformed Digest entry", func(b []byte) []string { return []string{"SHA-256"} }},
		{"truncated digest", bad, "not a valid base64", func(b []byte) []string { return []string{"SHA-256=" + sha256b64(b)[:20]} }},
		{"RFC 9530 Content-Digest instead", unauth, "Digest header is missing", func(b []byte) []string { return nil }},
	}
	for i, v := range variants {
		path := inboxPaths[i%len(inboxPaths)]
		tb.add(hc(cat, v.name+" "+path, v.want, v.reason, func() *hreq {
			body := e.like(e.bob)
			h := e.unsigned(path, body)
			h.header.Del("Digest")
			for _, d := range v.digest(body) {
				h.header.Add("Digest", d)
			}
			if strings.HasPrefix(v.name, "RFC 9530") {
				h.header.Set("Content-Digest", "sha-256=:"+sha256b64(body)+":")
			}
			return h.sign(e.bob)
		}))
	}
	tb.add(hc(cat, "Digest present but not signed", unauth, "digest must be signed", func() *hreq {
		h := e.unsigned("/inbox", e.like(e.bob))
		hs := []string{"(request-target)", "host", "date"}
		return h.signAs(e.bob.keyID, e.bob.key, hs, hs)
	}))
	tb.add(hc(cat, "no Digest and not signed", unauth, "digest must be signed", func() *hreq {
		h := e.unsigned("/users/blog/inbox", e.like(e.bob))
		h.header.Del("Digest")
		hs := []string{"(request-target)", "host", "date"}
		return h.signAs(e.bob.keyID, e.bob.key, hs, hs)
	}))
	tb.add(hc(cat, "Digest swapped after signing for the right one", unauth, "does not verify", func() *hreq {
		body := e.like(e.bob)
		h := e.unsigned("/inbox", body)
		h.header.Set("Digest", "SHA-256="+sha256b64(nil))
		h.sign(e.bob)
		h.header.Set("Digest", "SHA-256="+sha256b64(body))
		return h
	}))

	// RFC 9421 Content-Digest.
	cd := []struct {
		name   string
		want   int
		reason string
		value  func(b []byte) string // "" → no header
	}{
		{"Content-Digest mismatch", bad, "does not match the body", func(b []byte) string { return "sha-256=:" + sha256b64(nil) + ":" }},
		{"Content-Digest missing", unauth, "Content-Digest header is missing", func(b []byte) string { return "" }},
		{"Content-Digest md5 only", unauth, "must contain sha-256 or sha-512", func(b []byte) string { d := md5.Sum(b); return "md5=:" + b64(d[:]) + ":" }},
		{"Content-Digest malformed", bad, "malformed Content-Digest", func(b []byte) string { return "sha-256=:" + sha256b64(b) }},
		{"Content-Digest as a string", bad, "not a byte sequence", func(b []byte) string { return `sha-256="` + sha256b64(b) + `"` }},
		{"Content-Digest two, one wrong", bad, "does not match the body", func(b []byte) string {
			return "sha-256=:" + sha256b64(b) + ":, sha-512=:" + sha512b64(nil) + ":"
		}},
		{"Content-Digest in the Digest syntax", bad, "", func(b []byte) string { return "SHA-256=" + sha256b64(b) }},
	}
	for i, v := range cd {
		path := inboxPaths[i%len(inboxPaths)]
		tb.add(hc(cat, "RFC 9421 "+v.name+" "+path, v.want, v.reason, func() *hreq {
			body := e.like(e.bob)
			h := e.unsigned(path, body)
			h.header.Del("Digest")
			if s := v.value(body); s != "" {
				h.header.Set("Content-Digest", s)
			}
			return h.sign9421(e.bob, rfc9421{})
		}))
	}
	tb.add(hc(cat, "RFC 9421 content-digest not covered", unauth, "content-digest must be signed", func() *hreq {
		return e.signed9421(e.bob, "/inbox", e.like(e.bob), rfc9421{comps: []string{"@method", "@target-uri"}})
	}))
}

func (e *hostileEnv) dateTricks(tb *hostileTable) {
	const cat = "date"
	bad, unauth := http.StatusBadRequest, http.StatusUnauthorized
	now := time.Now()
	dated := func(name string, want int, reason string, date string) {
		for _, path := range []string{"/inbox", "/users/blog/inbox"} {
			tb.add(hc(cat, name+" "+path, want, reason, func() *hreq {
				h := e.unsigned(path, e.like(e.bob))
				if date == "" {
					h.header.Del("Date")
				} else {
					h.header.Set("Date", date)
				}
				return h.sign(e.bob)
			}))
		}
	}
	dated("Date 2 h old", unauth, "too old", httpDate(now.Add(-2*time.Hour)))
	dated("Date 2 h in the future", unauth, "too far in the future", httpDate(now.Add(2*time.Hour)))
	dated("Date 66 min old", unauth, "too old", httpDate(now.Add(-66*time.Minute)))
	dated("Date 62 min in the future", unauth, "too far in the future", httpDate(now.Add(62*time.Minute)))
	dated("Date missing", unauth, "signed header date is missing", "")
	dated("Date unparseable", bad, "invalid Date header", "yesterday, around noon")
	dated("Date in ISO 8601", bad, "invalid Date header", now.UTC().Format(time.RFC3339))
	dated("Date as Unix time", bad, "invalid Date header", strconv.FormatInt(now.Unix(), 10))
	dated("Date 1970", unauth, "too old", "Thu, 01 Jan 1970 00:00:00 GMT")
	dated("Date 9999", unauth, "too far in the future", "Fri, 31 Dec 9999 23:59:59 GMT")
	dated("Date RFC 850, 2 h old", unauth, "too old", now.Add(-2*time.Hour).UTC().Format(time.RFC850))
	tb.add(hc(cat, "Date not signed", unauth, "date or (created) must be signed", func() *hreq {
		h := e.unsigned("/inbox", e.like(e.bob))
		hs := []string{"(request-target)", "host", "digest"}
		return h.signAs(e.bob.keyID, e.bob.key, hs, hs)
	}))
	tb.add(hc(cat, "Date 2 h old under a fresh (created)", unauth, "too old", func() *hreq {
		h := e.unsigned("/inbox", e.like(e.bob))
		h.header.Set("Date", httpDate(now.Add(-2*time.Hour)))
		headers := []string{"(request-target)", "host", "date", "(created)", "digest"}
		c := strconv.FormatInt(time.Now().Unix(), 10)
		sig := rsaSign(e.bob.key, h.signingString(headers, c, ""))
		h.header.Set("Signature", `keyId="`+e.bob.keyID+`",algorithm="hs2019",created=`+c+`,headers="`+strings.Join(headers, " ")+`",signature="`+sig+`"`)
		return h
	}))
	created := func(name string, want int, reason string, c, x time.Duration) {
		tb.add(hc(cat, name, want, reason, func() *hreq {
			var exp int64
			if x != 0 {
				exp = time.Now().Add(x).Unix()
			}
			return e.unsigned("/inbox", e.like(e.bob)).signCreated(e.bob, time.Now().Add(c).Unix(), exp)
		}))
	}
	created("(created) 2 h old", unauth, "too old", -2*time.Hour, 0)
	created("(created) 2 h in the future", unauth, "too far in the future", 2*time.Hour, 0)
	created("expires 2 h ago", unauth, "expired", -10*time.Minute, -2*time.Hour)
	tb.add(hc(cat, "(created) signed, parameter missing", bad, "created parameter is missing", func() *hreq {
		h := e.unsigned("/inbox", e.like(e.bob))
		hs := []string{"(request-target)", "host", "(created)", "digest"}
		h.header.Set("Signature", `keyId="`+e.bob.keyID+`",algorithm="hs2019",headers="`+strings.Join(hs, " ")+`",signature="`+rsaSign(e.bob.key, h.signingString(hs, "", ""))+`"`)
		return h
	}))
	tb.add(hc(cat, "(expires) signed, parameter missing", bad, "expires parameter is missing", func() *hreq {
		h := e.unsigned("/inbox", e.like(e.bob))
		hs := []string{"(request-target)", "host", "date", "digest", "(expires)"}
		h.header.Set("Signature", cavageHeader(e.bob.keyID, "hs2019", hs, rsaSign(e.bob.key, h.signingString(hs, "", ""))))
		return h
	}))
	r := func(name string, want int, reason string, p rfc9421) {
		tb.add(hc(cat, "RFC 9421 "+name, want, reason, func() *hreq {
			if p.created < 0 {
				p.created = time.Now().Unix() + p.created
			}
			return e.signed9421(e.bob, "/inbox", e.like(e.bob), p)
		}))
	}
	r("created 2 h old", unauth, "too old", rfc9421{created: -7200})
	r("created 2 h in the future", unauth, "too far in the future", rfc9421{created: time.Now().Add(2 * time.Hour).Unix()})
	r("created missing", unauth, "created parameter must be signed", rfc9421{noCreated: true})
	r("expires 2 h ago", unauth, "expired", rfc9421{created: -600, expires: time.Now().Add(-2 * time.Hour).Unix()})
	r("created 1970", unauth, "too old", rfc9421{created: 1})
}

func (e *hostileEnv) keyOfAnother(tb *hostileTable) {
	const cat = "key of another actor"
	unauth := http.StatusUnauthorized
	mismatch := "not by the actor"
	local := "http://blog.test/users/blog"
	bodies := []struct {
		name string
		body func() []byte
	}{
		{"Like as carol", func() []byte { return e.like(e.carol) }},
		{"actor as an object naming carol", func() []byte {
			return e.activity(e.bob, "Like", map[string]any{"actor": map[string]any{"id": e.carol.uri, "type": "Person"}})
		}},
		{"actor as a Link to carol", func() []byte {
			return e.activity(e.bob, "Like", map[string]any{"actor": map[string]any{"type": "Link", "href": e.carol.uri}})
		}},
		{"actors [carol, bob]", func() []byte {
			return e.activity(e.bob, "Like", map[string]any{"actor": []any{e.carol.uri, e.bob.uri}})
		}},
		{"actor eve on another host", func() []byte { return e.like(e.eve) }},
		{"actor the blog itself", func() []byte {
			return e.activity(e.bob, "Like", map[string]any{"actor": local, "id": "http://blog.test/likes/" + strconv.Itoa(e.seq)})
		}},
		{"actor bob with a trailing slash", func() []byte { return e.activity(e.bob, "Like", map[string]any{"actor": e.bob.uri + "/"}) }},
		{"actor bob in upper case", func() []byte {
			return e.activity(e.bob, "Like", map[string]any{"actor": strings.Replace(e.bob.uri, "/bob", "/BOB", 1)})
		}},
		{"actor bob over https", func() []byte {
			return e.activity(e.bob, "Like", map[string]any{"actor": strings.Replace(e.bob.uri, "http:", "https:", 1)})
		}},
		{"actor bob with a fragment", func() []byte { return e.activity(e.bob, "Like", map[string]any{"actor": e.bob.uri + "#me"}) }},
		{"actor bob with a query", func() []byte { return e.activity(e.bob, "Like", map[string]any{"actor": e.bob.uri + "?x=1"}) }},
		{"Follow as carol", func() []byte { return e.activity(e.carol, "Follow", map[string]any{"object": local}) }},
		{"Undo as carol", func() []byte {
			return e.activity(e.carol, "Undo", map[string]any{"object": map[string]any{"type": "Follow", "id": e.id(e.carol, "follows"), "actor": e.carol.uri, "object": local}})
		}},
		{"Update of carol's actor as carol", func() []byte {
			return e.activity(e.carol, "Update", map[string]any{"object": map[string]any{"id": e.carol.uri, "type": "Person", "inbox": e.carol.uri + "/inbox", "name": "pwned"}})
		}},
		{"Delete of carol as carol", func() []byte { return e.activity(e.carol, "Delete", map[string]any{"object": e.carol.uri}) }},
		{"Move of carol to bob as carol", func() []byte {
			return e.activity(e.carol, "Move", map[string]any{"object": e.carol.uri, "target": e.bob.uri})
		}},
		{"Announce as carol", func() []byte { return e.activity(e.carol, "Announce", nil) }},
		{"Create of carol's reply as carol", func() []byte {
			return e.activity(e.carol, "Create", map[string]any{"object": map[string]any{"id": e.id(e.carol, "notes"), "type": "Note",
				"attributedTo": e.carol.uri, "inReplyTo": e.article, "content": "hi", "to": []any{asContext + "#Public"}}})
		}},
	}
	for _, path := range []string{"/inbox", "/users/blog/inbox"} {
		for _, b := range bodies {
			tb.add(hc(cat, "bob's key: "+b.name+" "+path, unauth, mismatch, func() *hreq { return e.signed(e.bob, path, b.body()) }))
		}
	}
	tb.add(hc(cat, "eve's key (other host): Like as bob", unauth, mismatch, func() *hreq { return e.signed(e.eve, "/inbox", e.like(e.bob)) }))
	tb.add(hc(cat, "carol's key: Follow as bob", unauth, mismatch, func() *hreq {
		return e.signed(e.carol, "/users/blog/inbox", e.activity(e.bob, "Follow", map[string]any{"object": local}))
	}))
	tb.add(hc(cat, "RFC 9421, bob's key: Like as carol", unauth, mismatch, func() *hreq {
		return e.signed9421(e.bob, "/inbox", e.like(e.carol), rfc9421{})
	}))
	tb.add(hc(cat, "Delete of carol (known) unsigned", unauth, "not signed", func() *hreq {
		return e.unsigned("/inbox", e.activity(e.carol, "Delete", map[string]any{"object": e.carol.uri}))
	}))
	tb.add(hc(cat, "Delete of carol (known) signed by bob", unauth, mismatch, func() *hreq {
		return e.signed(e.bob, "/actor/inbox", e.activity(e.carol, "Delete", map[string]any{"object": e.carol.uri}))
	}))
}

func (e *hostileEnv) foreignIDs(tb *hostileTable) {
	const cat = "foreign id"
	bad := http.StatusBadRequest
	foreign := "not on the actor's host"
	notURL := "is not an http(s) URL"
	hostPort := strings.TrimPrefix(e.bob.base, "http://")
	ids := []struct{ name, id, reason string }{
		{"another host", "http://elsewhere.test/likes/1", foreign},
		{"the blog's host", "http://blog.test/likes/1", foreign},
		{"same IP, other port (eve's)", e.eve.base + "/likes/1", foreign},
		{"https on another host", "https://elsewhere.test/likes/1", foreign},
		{"host that starts with the actor's", "http://" + strings.Split(hostPort, ":")[0] + ".elsewhere.test/likes/1", foreign},
		{"actor's host in the path", "http://elsewhere.test/" + hostPort + "/likes/1", foreign},
		{"actor's host with a trailing dot", "http://" + strings.Replace(hostPort, ":", ".:", 1) + "/likes/1", foreign},
		{"actor's host as user info", "http://" + hostPort + "@elsewhere.test/likes/1", notURL},
		{"javascript:", "javascript:alert(1)", notURL},
		{"relative", "/likes/1", notURL},
		{"urn:uuid", "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e", notURL},
		{"data:", "data:text/plain,hi", notURL},
		{"backslash host", `http://elsewhere.test\@` + hostPort + "/likes/1", ""},
		{"NUL in the id", e.bob.base + "/likes/\x00", notURL},
		{"2 KiB + 1 id", e.bob.base + "/likes/" + strings.Repeat("a", 2049), notURL},
	}
	for i, c := range ids {
		path := inboxPaths[i%len(inboxPaths)]
		tb.add(hc(cat, "activity id: "+c.name, bad, c.reason, func() *hreq {
			return e.signed(e.bob, path, e.activity(e.bob, "Like", map[string]any{"id": c.id}))
		}))
	}
	for _, typ := range []string{"Create", "Follow", "Announce", "Delete", "Update"} {
		tb.add(hc(cat, typ+" with an id on another host", bad, foreign, func() *hreq {
			return e.signed(e.bob, "/users/blog/inbox", e.activity(e.bob, typ, map[string]any{"id": "http://elsewhere.test/" + strings.ToLower(typ) + "/1"}))
		}))
	}
}

func (e *hostileEnv) oversized(tb *hostileTable) {
	const cat = "oversized"
	tooLarge := http.StatusRequestEntityTooLarge
	padded := func(n int) []byte {
		head := fmt.Sprintf(`{"@context":%q,"type":"Like","id":%q,"actor":%q,"object":%q,"pad":"`, asContext, e.id(e.bob, "likes"), e.bob.uri, e.article)
		b := make([]byte, 0, n)
		b = append(b, head...)
		b = append(b, bytes.Repeat([]byte("x"), n-len(head)-2)...)
		return append(b, `"}`...)
	}
	const mib1 = federation.MaxInboxBody + 1
	for _, path := range inboxPaths {
		tb.add(hc(cat, "1 MiB + 1 with Content-Length, signed "+path, tooLarge, "body over", func() *hreq {
			return e.signed(e.bob, path, padded(mib1))
		}))
	}
	tb.add(hc(cat, "1 MiB + 1 with Content-Length, unsigned", tooLarge, "body over", func() *hreq { return e.unsigned("/inbox", padded(mib1)) }))
	tb.add(hc(cat, "1 MiB + 1 chunked, signed", tooLarge, "body over", func() *hreq {
		h := e.signed(e.bob, "/inbox", padded(mib1))
		h.chunked = true
		return h
	}))
	tb.add(hc(cat, "1 MiB + 1 chunked, personal inbox", tooLarge, "body over", func() *hreq {
		h := e.signed(e.bob, "/users/blog/inbox", padded(mib1))
		h.chunked = true
		return h
	}))
	tb.add(hc(cat, "1 MiB + 1 of whitespace chunked", tooLarge, "body over", func() *hreq {
		h := e.unsigned("/inbox", bytes.Repeat([]byte(" "), mib1))
		h.chunked = true
		return h
	}))
	tb.add(hc(cat, "4 MiB with Content-Length", tooLarge, "body over", func() *hreq { return e.unsigned("/inbox", padded(4<<20)) }))
	tb.add(hc(cat, "4 MiB chunked", tooLarge, "body over", func() *hreq {
		h := e.unsigned("/inbox", padded(4<<20))
		h.chunked = true
		return h
	}))
	tb.add(hc(cat, "exactly 1 MiB of garbage (not too large, still refused)", http.StatusBadRequest, "invalid JSON", func() *hreq {
		return e.signed(e.bob, "/inbox", bytes.Repeat([]byte("x"), federation.MaxInboxBody))
	}))
	tb.add(hc(cat, "1 TiB announced with Expect: 100-continue", tooLarge, "body over", func() *hreq {
		return &hreq{raw: []byte("POST /inbox HTTP/1.1\r\nHost: blog.test\r\nContent-Type: application/activity+json\r\n" +
			"Content-Length: 1099511627776\r\nExpect: 100-continue\r\n\r\n")}
	}))
	tb.add(hc(cat, "1 MiB + 1 announced, 10 bytes sent", tooLarge, "body over", func() *hreq {
		return &hreq{raw: []byte("POST /users/blog/inbox HTTP/1.1\r\nHost: blog.test\r\nContent-Type: application/activity+json\r\n" +
			"Content-Length: " + strconv.Itoa(mib1) + "\r\n\r\n{\"type\":\"L"), halfClose: true}
	}))
}

// wire: requests net/http itself must refuse, or that lie about their size.
func (e *hostileEnv) wire(tb *hostileTable) {
	const cat = "wire"
	head := "POST /inbox HTTP/1.1\r\nHost: blog.test\r\nContent-Type: application/activity+json\r\n"
	body := e.likeText(e.bob)
	raw := func(name string, want int, reason, s string, half bool) {
		tb.add(hc(cat, name, want, reason, func() *hreq { return &hreq{raw: []byte(s), halfClose: half} }))
	}
	raw("Content-Length and Transfer-Encoding", 0, "", head+"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false)
	raw("bad chunk size", http.StatusBadRequest, "", head+"Transfer-Encoding: chunked\r\n\r\nzz\r\n"+body+"\r\n0\r\n\r\n", false)
	raw("chunk longer than announced", 0, "", head+"Transfer-Encoding: chunked\r\n\r\n2\r\n"+body+"\r\n0\r\n\r\n", false)
	raw("negative Content-Length", http.StatusBadRequest, "", head+"Content-Length: -1\r\n\r\n"+body, false)
	raw("two different Content-Lengths", http.StatusBadRequest, "", head+"Content-Length: 5\r\nContent-Length: 6\r\n\r\n"+body, false)
	raw("Content-Length shorter than the body", http.StatusBadRequest, "invalid JSON", head+"Content-Length: 10\r\n\r\n"+body, false)
	raw("Content-Length longer than the body, then EOF", http.StatusBadRequest, "could not read the body", head+"Content-Length: 1000\r\n\r\n"+body, true)
	raw("NUL in a header", http.StatusBadRequest, "", head+"Signature: keyId=\"a\x00b\"\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body, false)
	raw("no Host", http.StatusBadRequest, "", "POST /inbox HTTP/1.1\r\nContent-Type: application/activity+json\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body, false)
	raw("HTTP/1.0 unsigned", http.StatusUnauthorized, "not signed", "POST /inbox HTTP/1.0\r\nContent-Type: application/activity+json\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body, false)
	raw("obs-fold in Signature", 0, "", head+"Signature: keyId=\"x\",\r\n algorithm=\"rsa-sha256\"\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body, false)
	tb.add(hc(cat, "1,000 junk headers", http.StatusUnauthorized, "not signed", func() *hreq {
		h := e.unsigned("/inbox", e.like(e.bob))
		for i := 0; i < 1000; i++ {
			h.header.Set(fmt.Sprintf("X-Junk-%d", i), e.randB64(12))
		}
		return h
	}))
}

func (e *hostileEnv) malformedJSON(tb *hostileTable) {
	const cat = "malformed JSON"
	bad := http.StatusBadRequest
	invalid := "invalid JSON"
	// Every body is signed by bob with a correct digest: only the JSON
	// checks stand between it and the store.
	bodies := []struct {
		name, reason string
		body         func(s string) string // s: a valid Like as text
	}{
		{"truncated to half", invalid, func(s string) string { return s[:len(s)/2] }},
		{"last byte missing", invalid, func(s string) string { return s[:len(s)-1] }},
		{"one byte", invalid, func(s string) string { return "{" }},
		{"cut after a key", invalid, func(s string) string { return `{"type"` }},
		{"cut inside a string", invalid, func(s string) string { return s[:strings.Index(s, `"actor":"`)+12] }},
		{"trailing word", "trailing", func(s string) string { return s + " garbage" }},
		{"trailing brace", "trailing", func(s string) string { return s + "}" }},
		{"trailing bracket", "trailing", func(s string) string { return s + "]" }},
		{"second object", "trailing", func(s string) string { return s + s }},
		{"trailing empty object", "trailing", func(s string) string { return s + "{}" }},
		{"trailing null", "trailing", func(s string) string { return s + " null" }},
		{"trailing comma", "trailing", func(s string) string { return s + "," }},
		{"trailing NUL", "", func(s string) string { return s + "\x00" }},
		{"trailing comment", "trailing", func(s string) string { return s + " // hi" }},
		{"UTF-8 BOM", invalid, func(s string) string { return "\ufeff" + s }},
		{"UTF-16 LE", invalid, func(s string) string {
			var b strings.Builder
			b.WriteString("\xff\xfe")
			for _, r := range s {
				b.WriteByte(byte(r))
				b.WriteByte(0)
			}
			return b.String()
		}},
		{"NaN", invalid, func(s string) string { return strings.Replace(s, "{", `{"n":NaN,`, 1) }},
		{"Infinity", invalid, func(s string) string { return strings.Replace(s, "{", `{"n":Infinity,`, 1) }},
		{"-Infinity", invalid, func(s string) string { return strings.Replace(s, "{", `{"n":-Infinity,`, 1) }},
		{"hex number", invalid, func(s string) string { return strings.Replace(s, "{", `{"n":0x10,`, 1) }},
		{"leading zero", invalid, func(s string) string { return strings.Replace(s, "{", `{"n":01,`, 1) }},
		{"leading plus", invalid, func(s string) string { return strings.Replace(s, "{", `{"n":+1,`, 1) }},
		{"bare fraction", invalid, func(s string) string { return strings.Replace(s, "{", `{"n":.5,`, 1) }},
		{"single quotes", invalid, func(s string) string { return strings.ReplaceAll(s, `"`, `'`) }},
		{"unquoted key", invalid, func(s string) string { return strings.Replace(s, `"type"`, `type`, 1) }},
		{"comment inside", invalid, func(s string) string { return strings.Replace(s, "{", "{/* hi */", 1) }},
		{"trailing comma in the object", invalid, func(s string) string { return s[:len(s)-1] + ",}" }},
		{"trailing comma in an array", invalid, func(s string) string { return strings.Replace(s, "{", `{"to":["a",],`, 1) }},
		{"missing comma", invalid, func(s string) string { return strings.Replace(s, `,"actor"`, ` "actor"`, 1) }},
		{"missing colon", invalid, func(s string) string { return strings.Replace(s, `"type":`, `"type" `, 1) }},
		{"invalid escape", invalid, func(s string) string { return strings.Replace(s, "{", `{"x":"\x",`, 1) }},
		{"raw control character", invalid, func(s string) string { return strings.Replace(s, "{", "{\"x\":\"a\x01b\",", 1) }},
		{"raw newline in a string", invalid, func(s string) string { return strings.Replace(s, "{", "{\"x\":\"a\nb\",", 1) }},
		{"unterminated escape", invalid, func(s string) string { return strings.Replace(s, "{", `{"x":"\u12",`, 1) }},
		{"invalid UTF-8 in a string", "", func(s string) string { return strings.Replace(s, "{", "{\"x\":\"\xff\xfe\",", 1) }},
		{"overlong UTF-8 in a string", "", func(s string) string { return strings.Replace(s, "{", "{\"x\":\"\xc0\xaf\",", 1) }},
		{"lone surrogate bytes in a string", "", func(s string) string { return strings.Replace(s, "{", "{\"x\":\"\xed\xa0\x80\",", 1) }},
		{"duplicate actor (bob, then carol)", "not by the actor", func(s string) string {
			return strings.Replace(s, `,"object"`, `,"actor":"`+e.carol.uri+`","object"`, 1)
		}},
		{"duplicate id (local, then foreign)", "not on the actor's host", func(s string) string {
			return strings.Replace(s, `,"actor"`, `,"id":"http://elsewhere.test/x","actor"`, 1)
		}},
		{"duplicate type (Like, then a number)", "no type", func(s string) string { return strings.Replace(s, `,"id"`, `,"type":5,"id"`, 1) }},
		{"duplicate actor (bob, then a number)", "no actor", func(s string) string { return strings.Replace(s, `,"object"`, `,"actor":5,"object"`, 1) }},
		{"empty body", invalid, func(s string) string { return "" }},
		{"whitespace only", invalid, func(s string) string { return " \r\n\t " }},
		{"array", "not a JSON object", func(s string) string { return "[" + s + "]" }},
		{"empty array", "not a JSON object", func(s string) string { return "[]" }},
		{"string", "not a JSON object", func(s string) string { return strconv.Quote(s) }},
		{"number", "not a JSON object", func(s string) string { return "42" }},
		{"huge number", "", func(s string) string { return "1e999" }},
		{"null", "not a JSON object", func(s string) string { return "null" }},
		{"true", "not a JSON object", func(s string) string { return "true" }},
		{"false", "not a JSON object", func(s string) string { return "false" }},
		{"empty object", "no type", func(s string) string { return "{}" }},
	}
	for i, b := range bodies {
		path := inboxPaths[i%len(inboxPaths)]
		want := bad
		if b.reason == "not by the actor" {
			want = http.StatusUnauthorized // last key wins, consistently: carol
		}
		tb.add(hc(cat, b.name+" "+path, want, b.reason, func() *hreq {
			return e.signed(e.bob, path, []byte(b.body(e.likeText(e.bob))))
		}))
	}
}

func (e *hostileEnv) deepNesting(tb *hostileTable) {
	const cat = "deep nesting"
	bad := http.StatusBadRequest
	arrays := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	objects := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	// field is a Like from bob whose field k holds the raw JSON v.
	field := func(k, v string) func() []byte {
		return func() []byte { return []byte(e.likeWith(e.bob, k, v)) }
	}
	signedBody := func(name, reason string, body func() []byte) {
		tb.add(hc(cat, name, bad, reason, func() *hreq { return e.signed(e.bob, "/inbox", body()) }))
	}
	signedBody("10,000 nested arrays", "", func() []byte { return []byte(arrays(10000)) })
	signedBody("10,000 nested objects", "", func() []byte { return []byte(objects(10000)) })
	signedBody("10,001 nested arrays", invalid(), func() []byte { return []byte(arrays(10001)) })
	signedBody("100,000 nested arrays", invalid(), func() []byte { return []byte(arrays(100000)) })
	signedBody("100,000 nested objects", invalid(), func() []byte { return []byte(objects(100000)) })
	signedBody("1,000,000 unclosed brackets", invalid(), func() []byte { return []byte(strings.Repeat("[", 1000000)) })
	// Inside the activity, 9,999 levels make 10,000 in all: the most the
	// decoder takes.
	signedBody("9,999 nested arrays as the actor", "no actor", field("actor", arrays(9999)))
	signedBody("9,999 nested objects as the id", "no id", field("id", objects(9999)))
	signedBody("9,999 nested arrays as the type", "no type", field("type", arrays(9999)))
	signedBody("10,000 nested arrays as the actor", invalid(), field("actor", arrays(10000)))
	signedBody("100,000 nested arrays as the object", invalid(), field("object", arrays(100000)))
	signedBody("10,000 nested arrays, unsigned personal inbox", "", func() []byte { return []byte(arrays(10000)) })
	tb.add(hc(cat, "9,999 nested objects inside a forged Like", http.StatusUnauthorized, "does not verify", func() *hreq {
		return e.unsigned("/users/blog/inbox", field("object", objects(9999))()).signAs(e.bob.keyID, e.mallory, hostileStdHeaders, hostileStdHeaders)
	}))
}

func invalid() string { return "invalid JSON" }

func (e *hostileEnv) hugeStrings(tb *hostileTable) {
	const cat = "huge strings"
	big := strings.Repeat("a", 900<<10)
	tb.add(hc(cat, "900 KB id", http.StatusBadRequest, "not an http(s) URL", func() *hreq {
		return e.signed(e.bob, "/inbox", e.activity(e.bob, "Like", map[string]any{"id": e.bob.base + "/" + big}))
	}))
	tb.add(hc(cat, "900 KB actor", http.StatusBadRequest, "not an http(s) URL", func() *hreq {
		return e.signed(e.bob, "/inbox", e.activity(e.bob, "Like", map[string]any{"actor": e.bob.uri + big}))
	}))
	tb.add(hc(cat, "900 KB type, forged", http.StatusUnauthorized, "does not verify", func() *hreq {
		return e.unsigned("/inbox", e.activity(e.bob, big, map[string]any{"id": e.id(e.bob, "x")})).signAs(e.bob.keyID, e.mallory, hostileStdHeaders, hostileStdHeaders)
	}))
	tb.add(hc(cat, "900 KB content as carol", http.StatusUnauthorized, "not by the actor", func() *hreq {
		return e.signed(e.bob, "/inbox", e.activity(e.carol, "Create", map[string]any{"object": map[string]any{"type": "Note", "id": e.id(e.carol, "notes"), "attributedTo": e.carol.uri, "content": big}}))
	}))
	tb.add(hc(cat, "50,000 keys as carol", http.StatusUnauthorized, "not by the actor", func() *hreq {
		m := map[string]any{"@context": asContext, "type": "Like", "id": e.id(e.carol, "likes"), "actor": e.carol.uri, "object": e.article}
		for i := 0; i < 50000; i++ {
			m["k"+strconv.Itoa(i)] = i
		}
		return e.signed(e.bob, "/inbox", mustJSON(m))
	}))
	tb.add(hc(cat, "25,000-entry to, forged", http.StatusUnauthorized, "does not verify", func() *hreq {
		to := make([]any, 25000)
		for i := range to {
			to[i] = "http://x.test/u/" + strconv.Itoa(i)
		}
		return e.unsigned("/inbox", e.activity(e.bob, "Like", map[string]any{"to": to})).signAs(e.bob.keyID, e.mallory, hostileStdHeaders, hostileStdHeaders)
	}))
	tb.add(hc(cat, "10 KB keyId", http.StatusBadRequest, "not an http(s) URL", func() *hreq {
		h := e.unsigned("/inbox", e.like(e.bob))
		return h.signAs(e.bob.uri+"/"+strings.Repeat("k", 10<<10)+"#main-key", e.bob.key, hostileStdHeaders, hostileStdHeaders)
	}))
	tb.add(hc(cat, "100 KB Digest", http.StatusBadRequest, "not a valid base64", func() *hreq {
		h := e.unsigned("/inbox", e.like(e.bob))
		h.header.Set("Digest", "SHA-256="+e.randB64(75<<10))
		return h.sign(e.bob)
	}))
	tb.add(hc(cat, "100 KB Date", http.StatusBadRequest, "invalid Date header", func() *hreq {
		h := e.unsigned("/inbox", e.like(e.bob))
		h.header.Set("Date", httpDate(time.Now())+strings.Repeat(" x", 50<<10))
		return h.sign(e.bob)
	}))
	tb.add(hc(cat, "100 KB Content-Type", http.StatusUnsupportedMediaType, "content type", func() *hreq {
		h := e.signed(e.bob, "/inbox", e.like(e.bob))
		h.header.Set("Content-Type", "application/activity+json; x="+strings.Repeat("y", 100<<10)+"; ;")
		return h
	}))
	tb.add(hc(cat, "100 KB username", http.StatusNotFound, "no such inbox", func() *hreq {
		return e.signed(e.bob, "/users/"+strings.Repeat("u", 100<<10)+"/inbox", e.like(e.bob))
	}))
}

func (e *hostileEnv) wrongTypes(tb *hostileTable) {
	const cat = "wrong types"
	bad := http.StatusBadRequest
	cases := []struct {
		field  string
		value  any
		reason string
	}{
		{"actor", 5, "no actor"}, {"actor", true, "no actor"}, {"actor", nil, "no actor"}, {"actor", []any{}, "no actor"},
		{"actor", map[string]any{}, "no actor"}, {"actor", map[string]any{"id": 5}, "no actor"}, {"actor", []any{5, "x"}, "no actor"},
		{"actor", "   ", "no actor"}, {"actor", 1.5e300, "no actor"},
		{"id", map[string]any{"id": "http://x.test/1"}, "no id"}, {"id", 5, "no id"}, {"id", []any{}, "no id"},
		{"id", []any{"http://x.test/1"}, "no id"}, {"id", true, "no id"}, {"id", nil, "no id"}, {"id", "", "no id"},
		{"type", 5, "no type"}, {"type", nil, "no type"}, {"type", map[string]any{"type": "Like"}, "no type"},
		{"type", []any{}, "no type"}, {"type", []any{5, "Like"}, "no type"}, {"type", false, "no type"},
	}
	for i, c := range cases {
		path := inboxPaths[i%len(inboxPaths)]
		name := fmt.Sprintf("%s as %s", c.field, typeName(c.value))
		tb.add(hc(cat, name+" "+path, bad, c.reason, func() *hreq {
			s := e.likeText(e.bob)
			var m map[string]any
			json.Unmarshal([]byte(s), &m)
			if c.value == nil {
				delete(m, c.field)
			} else {
				m[c.field] = c.value
			}
			return e.signed(e.bob, path, mustJSON(m))
		}))
	}
}

func typeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "absent"
	case string:
		if strings.TrimSpace(x) == "" {
			return "blank string"
		}
		return "string"
	case []any:
		return fmt.Sprintf("array of %d", len(x))
	case map[string]any:
		return fmt.Sprintf("object of %d", len(x))
	}
	return fmt.Sprintf("%T %v", v, v)
}

func (e *hostileEnv) methodsAndTypes(tb *hostileTable) {
	// Methods. OPTIONS is left out: Echo answers 204 with Allow: POST.
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodTrace, "PROPFIND"} {
		for _, path := range []string{"/inbox", "/users/blog/inbox", "/actor/inbox", "/users/nobody/inbox"} {
			tb.add(hc("method", m+" "+path, http.StatusMethodNotAllowed, "", func() *hreq {
				h := e.unsigned(path, e.like(e.bob))
				h.method = m
				if m == http.MethodGet || m == http.MethodHead {
					h.body = nil
				}
				return h.sign(e.bob)
			}))
		}
	}
	for _, path := range []string{"/inbox/", "/inbox/x", "/users/blog/inbox/", "/Inbox", "/users/blog/inbox/.."} {
		tb.add(hc("method", "POST to "+path, 0, "", func() *hreq { return e.signed(e.bob, path, e.like(e.bob)) }))
	}

	// Content types: the body is valid and validly signed.
	const cat = "content type"
	for _, ct := range []string{
		"text/plain", "application/json", "application/json; charset=utf-8", "application/x-www-form-urlencoded",
		"multipart/form-data; boundary=xyz", "", "text/html", "application/xml", "*/*", "application/*",
		"application/activity+jsonx", "activity+json", "application/activity+json, text/plain",
		`application/ld+json; profile="unterminated`, "application/activity+json;;", "APPLICATION/JSON",
		"application/ld+json+xml", "application/problem+json",
	} {
		tb.add(hc(cat, "Content-Type "+strconv.Quote(ct), http.StatusUnsupportedMediaType, "content type", func() *hreq {
			h := e.signed(e.bob, "/inbox", e.like(e.bob))
			if ct == "" {
				h.header.Del("Content-Type")
			} else {
				h.header.Set("Content-Type", ct)
			}
			return h
		}))
	}
	tb.add(hc(cat, "two Content-Types, text/plain first", http.StatusUnsupportedMediaType, "content type", func() *hreq {
		h := e.signed(e.bob, "/users/blog/inbox", e.like(e.bob))
		h.header.Set("Content-Type", "text/plain")
		h.header.Add("Content-Type", "application/activity+json")
		return h
	}))
	tb.add(hc(cat, "form-encoded Like", http.StatusUnsupportedMediaType, "content type", func() *hreq {
		h := e.signed(e.bob, "/inbox", []byte(url.Values{"type": {"Like"}, "actor": {e.bob.uri}, "id": {e.id(e.bob, "likes")}}.Encode()))
		h.header.Set("Content-Type", "application/x-www-form-urlencoded")
		return h
	}))
	tb.add(hc(cat, "gzip body", http.StatusBadRequest, "invalid JSON", func() *hreq {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(e.like(e.bob))
		zw.Close()
		h := e.unsigned("/inbox", buf.Bytes())
		h.header.Set("Content-Encoding", "gzip")
		return h.sign(e.bob)
	}))
}

func (e *hostileEnv) recipients(tb *hostileTable) {
	const cat = "recipient"
	for _, u := range []string{"nobody", "BLOGX", "%FF", "%00", "%27%20OR%20%271%27%3D%271", "blog%2F..%2Fnobody", "alice%20",
		"%E2%80%AEgolb", "%25", "_", "*", "..", "blog%00", "%C0%AE%C0%AE"} {
		tb.add(hc(cat, "/users/"+u+"/inbox", http.StatusNotFound, "", func() *hreq {
			return e.signed(e.bob, "/users/"+u+"/inbox", e.like(e.bob))
		}))
	}
}

// ssrf: keyIds that point inside, sent to the server whose private-peers
// switch is off. Each must be refused before any connection.
func (e *hostileEnv) ssrf(tb *hostileTable, tlsPeer, tls6Peer, plainPeer *hostilePeer, loopNames []string) {
	const cat = "SSRF"
	unauth := http.StatusUnauthorized
	refused := "refusing to fetch"
	tp, pp := tlsPeer.port(), plainPeer.port()
	targets := []struct{ keyID, reason string }{
		{"https://127.0.0.1:" + tp + "/users/bob#main-key", refused},
		{"https://127.0.0.1:" + tp + "/redirect#main-key", refused},
		{"http://127.0.0.1:" + pp + "/users/bob#main-key", refused},
		{"http://127.0.0.1:" + pp + "/redirect#main-key", refused},
		{"https://localhost:" + tp + "/users/bob#main-key", refused},
		{"https://LOCALHOST:" + tp + "/users/bob#main-key", refused},
		{"https://localhost.:" + tp + "/users/bob#main-key", refused},
		{"https://api.localhost:" + tp + "/users/bob#main-key", refused},
		{"http://localhost:" + pp + "/users/bob#main-key", refused},
		{"https://[::1]:" + tp + "/users/bob#main-key", refused},
		{"https://[::1%25lo]:" + tp + "/users/bob#main-key", refused},
		{"https://[0:0:0:0:0:0:0:1]:" + tp + "/users/bob#main-key", refused},
		{"https://[::ffff:127.0.0.1]:" + tp + "/users/bob#main-key", refused},
		{"https://127.0.0.2:" + tp + "/users/bob#main-key", refused},
		{"https://0.0.0.0:" + tp + "/users/bob#main-key", refused},
		{"https://[::]:" + tp + "/users/bob#main-key", refused},
		{"https://2130706433:" + tp + "/users/bob#main-key", refused},
		{"https://0x7f000001:" + tp + "/users/bob#main-key", refused},
		{"https://127.1:" + tp + "/users/bob#main-key", refused},
		{"https://0177.0.0.1:" + tp + "/users/bob#main-key", refused},
		{"https://10.0.0.1/users/bob#main-key", refused},
		{"http://10.0.0.1/users/bob#main-key", refused},
		{"https://172.16.0.1/users/bob#main-key", refused},
		{"https://192.168.1.1:8443/users/bob#main-key", refused},
		{"https://169.254.169.254/latest/meta-data/iam/security-credentials/#k", refused},
		{"http://169.254.169.254/latest/meta-data/#k", refused},
		{"https://[fd00:ec2::254]/latest/meta-data/#k", refused},
		{"https://100.100.100.200/latest/meta-data/#k", refused},
		{"https://0.1.2.3/k", refused},
		{"https://[fe80::1%25eth0]/k", refused},
		{"https://[fc00::1]/k", refused},
		{"https://[::ffff:10.0.0.1]/k", refused},
		{"https://[64:ff9b::7f00:1]/k", refused},
		{"https://[2002:7f00:1::1]/k", refused},
		{"https://224.0.0.1/k", refused},
		{"https://255.255.255.255/k", refused},
		{"https://198.18.0.1/k", refused},
		{"https://192.0.2.1/k", refused},
		{"http://blog.test/users/blog#main-key", refused},
		{"https://user:pw@127.0.0.1:" + tp + "/users/bob#main-key", "not an http(s) URL"},
		{"ftp://127.0.0.1/key", "not an http(s) URL"},
		{"file:///etc/passwd", "not an http(s) URL"},
		{"gopher://127.0.0.1:6379/_INFO", "not an http(s) URL"},
		{"dict://127.0.0.1:11211/stats", "not an http(s) URL"},
	}
	for _, n := range loopNames {
		targets = append(targets,
			struct{ keyID, reason string }{"https://" + n + ":" + tp + "/users/bob#main-key", refused},
			struct{ keyID, reason string }{"https://" + n + ":" + tp + "/redirect#main-key", refused})
	}
	if tls6Peer != nil {
		targets = append(targets, struct{ keyID, reason string }{"https://[::1]:" + tls6Peer.port() + "/users/bob#main-key", refused})
	}
	actorFor := func(keyID string) (actor, id string) {
		u, err := url.Parse(keyID)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return "https://127.0.0.1:" + tp + "/users/bob", "https://127.0.0.1:" + tp + "/likes/" + strconv.Itoa(e.seq)
		}
		u.Fragment = ""
		actor = u.String()
		u.Path, u.RawPath = "/likes/"+strconv.Itoa(e.seq), ""
		return actor, u.String()
	}
	for i, tg := range targets {
		path := inboxPaths[i%len(inboxPaths)]
		want := unauth
		if tg.reason != refused {
			want = http.StatusBadRequest
		}
		c := hc(cat, "keyId "+tg.keyID+" "+path, want, tg.reason, func() *hreq {
			e.seq++
			actor, id := actorFor(tg.keyID)
			body := mustJSON(map[string]any{"@context": asContext, "type": "Like", "id": id, "actor": actor, "object": "https://blog.test/articles/1"})
			return e.unsigned(path, body).signAs(tg.keyID, e.mallory, hostileStdHeaders, hostileStdHeaders)
		})
		c.ssrf = true
		tb.add(c)
	}
	// The same through RFC 9421 and Authorization: Signature.
	for _, keyID := range []string{"https://127.0.0.1:" + tp + "/users/bob#main-key", "https://169.254.169.254/latest/meta-data/#k", "https://[::1]:" + tp + "/k"} {
		c := hc(cat, "RFC 9421 keyid "+keyID, unauth, refused, func() *hreq {
			actor, id := actorFor(keyID)
			body := mustJSON(map[string]any{"@context": asContext, "type": "Like", "id": id, "actor": actor, "object": "https://blog.test/articles/1"})
			return e.signed9421(&hostileActor{keyID: keyID, key: e.mallory}, "/inbox", body, rfc9421{})
		})
		c.ssrf = true
		tb.add(c)
		c = hc(cat, "Authorization: Signature keyId "+keyID, unauth, refused, func() *hreq {
			actor, id := actorFor(keyID)
			body := mustJSON(map[string]any{"@context": asContext, "type": "Like", "id": id, "actor": actor, "object": "https://blog.test/articles/1"})
			h := e.unsigned("/users/blog/inbox", body).signAs(keyID, e.mallory, hostileStdHeaders, hostileStdHeaders)
			h.header.Set("Authorization", "Signature "+h.header.Get("Signature"))
			h.header.Del("Signature")
			return h
		})
		c.ssrf = true
		tb.add(c)
	}
}

// ---- running ----

type hresult struct {
	status  int
	reason  string
	elapsed time.Duration
	err     error
}

func (e *hostileEnv) send(base string, h *hreq) hresult {
	ctx, cancel := context.WithTimeout(context.Background(), hostileDeadline)
	defer cancel()
	start := time.Now()
	var (
		resp *http.Response
		err  error
	)
	if h.raw != nil {
		var conn net.Conn
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			return hresult{err: err}
		}
		defer conn.Close()
		dl, _ := ctx.Deadline()
		conn.SetDeadline(dl)
		conn.Write(h.raw) // the server may answer before reading it all
		if h.halfClose {
			conn.(*net.TCPConn).CloseWrite()
		}
		resp, err = http.ReadResponse(bufio.NewReader(conn), nil)
	} else {
		var body io.Reader
		if h.body != nil {
			body = bytes.NewReader(h.body)
		}
		var req *http.Request
		req, err = http.NewRequestWithContext(ctx, h.method, base+h.path, body)
		if err != nil {
			return hresult{err: err}
		}
		req.Host = h.host
		for k, vs := range h.header {
			req.Header[k] = vs
		}
		if h.chunked {
			req.ContentLength = -1
			req.Body = io.NopCloser(bytes.NewReader(h.body))
		} else if len(h.body) > 256<<10 {
			// The server may refuse on the length alone and close: without
			// this the client can fail writing before it reads the answer.
			req.Header.Set("Expect", "100-continue")
		}
		resp, err = e.client.Do(req)
	}
	if err != nil {
		return hresult{err: err, elapsed: time.Since(start)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	r := hresult{status: resp.StatusCode, elapsed: time.Since(start)}
	var j struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &j) == nil && j.Error != "" {
		r.reason = j.Error
	} else {
		r.reason = string(b)
		if len(r.reason) > 300 {
			r.reason = r.reason[:300]
		}
	}
	return r
}

func tableCounts(t *testing.T, s *models.Store) map[string]int64 {
	t.Helper()
	n, err := s.TableCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func sameCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func short(s string) string {
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}

// newHostileServer is newTestServerWith with the base URL and the
// private-peers switch chosen.
func newHostileServer(t *testing.T, store *models.Store, base string, allowPrivate bool) *testServer {
	t.Helper()
	return buildTestServer(t, store, base, allowPrivate)
}

// loopbackNames are host names that /etc/hosts maps to loopback only and
// that the URL check does not recognise by name (not localhost): the
// dial-time check is what must refuse them. Only /etc/hosts names are
// tried, so resolving them asks no DNS server.
func loopbackNames() []string {
	raw, err := os.ReadFile("/etc/hosts")
	if err != nil {
		return nil
	}
	loop, other := map[string]bool{}, map[string]bool{}
	for _, line := range strings.Split(string(raw), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		ip, err := netip.ParseAddr(f[0])
		for _, n := range f[1:] {
			n = strings.ToLower(n)
			if err == nil && ip.IsLoopback() {
				loop[n] = true
			} else {
				other[n] = true
			}
		}
	}
	var cands []string
	for n := range loop {
		if !other[n] && n != "localhost" && !strings.HasSuffix(n, ".localhost") && federation.CheckURL("https://"+n+"/", false) == nil {
			cands = append(cands, n)
		}
	}
	sort.Strings(cands)
	if len(cands) > 3 {
		cands = cands[:3]
	}
	var out []string
	for _, n := range cands {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		addrs, err := net.DefaultResolver.LookupHost(ctx, n)
		cancel()
		if err != nil || len(addrs) == 0 {
			continue
		}
		ok := true
		for _, a := range addrs {
			ip, err := netip.ParseAddr(a)
			ok = ok && err == nil && ip.IsLoopback()
		}
		if ok {
			out = append(out, n)
		}
	}
	return out
}

type hostileKeys struct{ bob, carol, eve, mallory *rsa.PrivateKey }

func TestInboxHostile(t *testing.T) {
	start := time.Now()
	var keys hostileKeys
	for _, k := range []**rsa.PrivateKey{&keys.bob, &keys.carol, &keys.eve, &keys.mallory} {
		var err error
		if *k, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("sqlite", func(t *testing.T) { runInboxHostile(t, keys, modelstest.SQLite(t), modelstest.SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { runInboxHostile(t, keys, modelstest.Postgres(t), modelstest.Postgres(t)) })
	t.Logf("hostile suite ran in %s", time.Since(start).Round(time.Millisecond))
}

func runInboxHostile(t *testing.T, keys hostileKeys, store, ssrfStore *models.Store) {
	ctx := context.Background()
	e := &hostileEnv{t: t, mallory: keys.mallory, rnd: mrand.New(mrand.NewPCG(1, 2)),
		client: &http.Client{
			Transport:     &http.Transport{DisableKeepAlives: true, Proxy: nil, ExpectContinueTimeout: hostileDeadline},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}}
	e.peer = newHostilePeer(t, false, "")
	e.peer2 = newHostilePeer(t, false, "")
	e.bob = e.peer.addActor(t, "bob", keys.bob)
	e.carol = e.peer.addActor(t, "carol", keys.carol)
	e.eve = e.peer2.addActor(t, "eve", keys.eve)

	e.ts = newTestServerWith(t, store) // http://blog.test, private peers allowed (the stand-ins are on loopback)
	e.ssrfTS = newHostileServer(t, ssrfStore, "https://blog.test", false)
	front := httptest.NewServer(e.ts.Echo)
	t.Cleanup(front.Close)
	ssrfFront := httptest.NewServer(e.ssrfTS.Echo)
	t.Cleanup(ssrfFront.Close)
	e.front, e.ssrfFront = front.URL, ssrfFront.URL

	// The stand-ins are known (keys cached): a hostile request naming them
	// must not cause a fetch.
	for _, a := range []*hostileActor{e.bob, e.carol, e.eve} {
		if _, err := e.ts.Fed.FetchActor(ctx, a.uri, true); err != nil {
			t.Fatalf("warm %s: %v", a.uri, err)
		}
	}
	alice := e.ts.author("alice")
	art := e.ts.article(alice, "hello", "Hello", "Hello, world.", time.Now().Add(-time.Hour))
	e.article = fmt.Sprintf("http://blog.test/articles/%d", art.ID)

	// SSRF stand-ins: a TLS and a plain server on 127.0.0.1, one on [::1]
	// when the host has it. They serve bob, and /redirect to the metadata
	// address; none may ever see a connection.
	tlsPeer := newHostilePeer(t, true, "")
	plainPeer := newHostilePeer(t, false, "")
	tls6Peer := newHostilePeer(t, true, "[::1]:0")
	for _, p := range []*hostilePeer{tlsPeer, plainPeer, tls6Peer} {
		if p != nil {
			p.addActor(t, "bob", keys.bob)
		}
	}
	names := loopbackNames()

	var tb hostileTable
	e.absentSignature(&tb)
	e.garbageSignatures(&tb)
	e.forgedSignatures(&tb)
	e.digestTricks(&tb)
	e.dateTricks(&tb)
	e.keyOfAnother(&tb)
	e.foreignIDs(&tb)
	e.oversized(&tb)
	e.wire(&tb)
	e.malformedJSON(&tb)
	e.deepNesting(&tb)
	e.hugeStrings(&tb)
	e.wrongTypes(&tb)
	e.methodsAndTypes(&tb)
	e.recipients(&tb)
	e.ssrf(&tb, tlsPeer, tls6Peer, plainPeer, names)

	perCat := map[string]int{}
	var order []string
	statuses := map[int]int{}
	var slowest time.Duration
	var slowestName string
	counts := map[*models.Store]map[string]int64{store: tableCounts(t, store), ssrfStore: tableCounts(t, ssrfStore)}
	for _, c := range tb.cases {
		target, st := e.front, store
		if c.ssrf {
			target, st = e.ssrfFront, ssrfStore
		}
		peerBefore := e.peer.reqs.Load() + e.peer2.reqs.Load()
		label := short("[" + c.cat + "] " + c.name)
		r := e.send(target, c.build())
		var problems []string
		switch {
		case r.err != nil:
			problems = append(problems, fmt.Sprintf("%v (after %s)", r.err, r.elapsed))
		case r.status < 400 || r.status > 499:
			problems = append(problems, fmt.Sprintf("status %d, want 4xx: %s", r.status, short(r.reason)))
		case c.want != 0 && r.status != c.want:
			problems = append(problems, fmt.Sprintf("status %d, want %d: %s", r.status, c.want, short(r.reason)))
		case c.reason != "" && !strings.Contains(r.reason, c.reason):
			problems = append(problems, fmt.Sprintf("status %d with reason %q, want %q", r.status, short(r.reason), c.reason))
		}
		if r.elapsed > hostileFast {
			problems = append(problems, fmt.Sprintf("answered in %s", r.elapsed))
		}
		if r.elapsed > slowest {
			slowest, slowestName = r.elapsed, label
		}
		after := tableCounts(t, st)
		if !sameCounts(counts[st], after) {
			problems = append(problems, fmt.Sprintf("rows changed: %v → %v", counts[st], after))
			counts[st] = after
		}
		if n := e.peer.reqs.Load() + e.peer2.reqs.Load() - peerBefore; n > 0 && !c.mayFetch {
			problems = append(problems, fmt.Sprintf("%d fetches from the stand-ins, want none (keys are cached)", n))
		}
		for _, p := range problems {
			t.Errorf("%s: %s", label, p)
		}
		if perCat[c.cat] == 0 {
			order = append(order, c.cat)
		}
		perCat[c.cat]++
		statuses[r.status]++
	}

	// The SSRF stand-ins never saw a connection, let alone a request.
	for name, p := range map[string]*hostilePeer{"TLS 127.0.0.1": tlsPeer, "plain 127.0.0.1": plainPeer, "TLS [::1]": tls6Peer} {
		if p == nil {
			continue
		}
		if c, r := p.conns.Load(), p.reqs.Load(); c != 0 || r != 0 {
			t.Errorf("SSRF stand-in %s saw %d connections and %d requests", name, c, r)
		}
		// And the counters do count: one direct request is seen.
		resp, err := p.srv.Client().Get(p.base + "/users/bob")
		if err != nil {
			t.Fatalf("direct request to the SSRF stand-in %s: %v", name, err)
		}
		resp.Body.Close()
		if c, r := p.conns.Load(), p.reqs.Load(); c != 1 || r != 1 {
			t.Errorf("SSRF stand-in %s counted %d connections and %d requests for one direct GET", name, c, r)
		}
	}
	// A recovered panic answers 400 and would hide a crash: there must be none.
	for _, fed := range []*federation.Service{e.ts.Fed, e.ssrfTS.Fed} {
		var m dto.Metric
		if err := fed.Metrics.InboxRejected.WithLabelValues("panic").Write(&m); err != nil {
			t.Fatal(err)
		}
		if v := m.GetCounter().GetValue(); v != 0 {
			t.Errorf("%v inbox panics recovered", v)
		}
	}

	total := 0
	for _, cat := range order {
		t.Logf("%-22s %4d requests", cat, perCat[cat])
		total += perCat[cat]
	}
	var codes []int
	for s := range statuses {
		codes = append(codes, s)
	}
	sort.Ints(codes)
	var sb strings.Builder
	for _, s := range codes {
		fmt.Fprintf(&sb, " %d×%d", s, statuses[s])
	}
	t.Logf("total %d hostile requests, all 4xx expected; statuses:%s; slowest %s (%s); loopback names tried: %v",
		total, sb.String(), slowest.Round(time.Microsecond), short(slowestName), names)
	if total < 200 {
		t.Fatalf("only %d hostile requests, want at least 200", total)
	}

	e.acceptedByDesign(t)
	e.controls(t)
}

// acceptedByDesign: validly signed activities whose content is hostile
// but which the inbox leaves to the worker (it checks transport,
// signature and activity id only). They are answered 202 and stored; the
// worker must then apply nothing: no comment, no follower, carol's actor
// untouched. These are listed apart from the 4xx table on purpose.
func (e *hostileEnv) acceptedByDesign(t *testing.T) {
	ctx := context.Background()
	drainInbox(t, e.ts.Fed) // whatever the table let through (it fails on its own) is not counted here
	carolBefore, err := e.ts.Store.RemoteActorByURI(ctx, e.carol.uri)
	if err != nil {
		t.Fatal(err)
	}
	before := tableCounts(t, e.ts.Store)
	note := func(extra map[string]any) map[string]any {
		n := map[string]any{"id": e.id(e.bob, "notes"), "type": "Note", "attributedTo": e.bob.uri, "inReplyTo": e.article,
			"content": "<p>hostile</p>", "to": []any{asContext + "#Public"}}
		for k, v := range extra {
			n[k] = v
		}
		return n
	}
	cases := []struct {
		name string
		body []byte
	}{
		{"object.attributedTo is carol, not the actor", e.activity(e.bob, "Create", map[string]any{"object": note(map[string]any{"attributedTo": e.carol.uri})})},
		{"object id on another host than the actor", e.activity(e.bob, "Create", map[string]any{"object": note(map[string]any{"id": "http://elsewhere.test/notes/1"})})},
		{"object by reference on another host", e.activity(e.bob, "Create", map[string]any{"object": "http://elsewhere.test/notes/2"})},
		{"object attributed to carol, id on carol's host", e.activity(e.bob, "Create", map[string]any{"object": note(map[string]any{"attributedTo": e.carol.uri, "id": e.id(e.carol, "notes")})})},
		{"Update of carol's actor by bob", e.activity(e.bob, "Update", map[string]any{"object": map[string]any{"id": e.carol.uri, "type": "Person",
			"inbox": e.carol.uri + "/inbox", "name": "pwned", "publicKey": map[string]any{"id": e.carol.keyID, "owner": e.carol.uri, "publicKeyPem": "junk"}}})},
		{"to as a number", e.activity(e.bob, "Create", map[string]any{"to": 5, "object": note(map[string]any{"attributedTo": e.carol.uri, "to": 5})})},
		{"9,999 nested arrays as the object", []byte(e.likeWith(e.bob, "object", strings.Repeat("[", 9999)+strings.Repeat("]", 9999)))},
	}
	var ids []string
	for _, c := range cases {
		r := e.send(e.front, e.signed(e.bob, "/inbox", c.body))
		var a struct{ ID string }
		json.Unmarshal(c.body, &a)
		ids = append(ids, a.ID)
		if r.err != nil || r.status >= 500 {
			t.Errorf("accepted by design: %s: status %d %v: %s", c.name, r.status, r.err, short(r.reason))
			continue
		}
		t.Logf("accepted by design (not a 4xx): %-50s → %d %s", c.name, r.status, short(r.reason))
	}
	drainInbox(t, e.ts.Fed)
	after := tableCounts(t, e.ts.Store)
	for _, k := range []string{"interactions", "followers", "remote_actors", "deliveries"} {
		if after[k] != before[k] {
			t.Errorf("the worker applied a hostile activity: %s %d → %d", k, before[k], after[k])
		}
	}
	for _, id := range ids {
		if id == "" {
			continue
		}
		it, err := e.ts.Store.InboxItemByActivityID(ctx, id)
		if err == nil && strings.Contains(it.Error, "panic") {
			t.Errorf("worker panicked on %s: %s", id, it.Error)
		}
	}
	carolAfter, err := e.ts.Store.RemoteActorByURI(ctx, e.carol.uri)
	if err != nil || carolAfter.Name != carolBefore.Name || carolAfter.PublicKeyPEM != carolBefore.PublicKeyPEM {
		t.Errorf("carol's actor changed: %+v %v", carolAfter, err)
	}
}

// controls: the unmutated requests the table is built from are accepted,
// so each refusal above is the mutation's doing, not the harness's.
func (e *hostileEnv) controls(t *testing.T) {
	before := tableCounts(t, e.ts.Store)
	ok := []struct {
		name string
		h    *hreq
	}{
		{"draft-cavage, this file's signer", e.signed(e.bob, "/inbox", e.like(e.bob))},
		{"draft-cavage, personal inbox", e.signed(e.carol, "/users/blog/inbox", e.like(e.carol))},
		{"draft-cavage, instance actor inbox, other host", e.signed(e.eve, "/actor/inbox", e.like(e.eve))},
		{"hs2019 with (created) and (expires)", e.unsigned("/inbox", e.like(e.bob)).signCreated(e.bob, time.Now().Unix(), time.Now().Add(time.Hour).Unix())},
		{"RFC 9421", e.signed9421(e.bob, "/inbox", e.like(e.bob), rfc9421{})},
		{"RFC 9421 with expires", e.signed9421(e.bob, "/users/alice/inbox", e.like(e.bob), rfc9421{expires: time.Now().Add(time.Hour).Unix()})},
		{"Authorization: Signature", func() *hreq {
			h := e.signed(e.bob, "/inbox", e.like(e.bob))
			h.header.Set("Authorization", "Signature "+h.header.Get("Signature"))
			h.header.Del("Signature")
			return h
		}()},
		{"chunked", func() *hreq { h := e.signed(e.bob, "/inbox", e.like(e.bob)); h.chunked = true; return h }()},
		{"the reply the worker turns into a comment", e.signed(e.bob, "/inbox", e.activity(e.bob, "Create", map[string]any{"object": map[string]any{
			"id": e.id(e.bob, "notes"), "type": "Note", "attributedTo": e.bob.uri, "inReplyTo": e.article,
			"content": "<p>a fine reply</p>", "to": []any{asContext + "#Public"}}}))},
	}
	// federation.Signer, as the existing tests sign.
	key, _ := x509.MarshalPKCS8PrivateKey(e.bob.key)
	priv, err := federation.ParsePrivateKeyPEM(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})))
	if err != nil {
		t.Fatal(err)
	}
	fs := e.unsigned("/inbox", e.like(e.bob))
	req := httptest.NewRequest(http.MethodPost, "http://blog.test/inbox", bytes.NewReader(fs.body))
	if err := (federation.Signer{KeyID: e.bob.keyID, Key: priv}).SignRequest(req, fs.body); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Date", "Digest", "Signature"} {
		fs.header.Set(k, req.Header.Get(k))
	}
	ok = append(ok, struct {
		name string
		h    *hreq
	}{"federation.Signer", fs})
	for _, c := range ok {
		if r := e.send(e.front, c.h); r.status != http.StatusAccepted || r.err != nil {
			t.Errorf("control %s: status %d %v: %s", c.name, r.status, r.err, short(r.reason))
		}
	}
	if n := tableCounts(t, e.ts.Store)["inbox_items"] - before["inbox_items"]; n != int64(len(ok)) {
		t.Errorf("controls stored %d inbox items, want %d", n, len(ok))
	}
	drainInbox(t, e.ts.Fed)
	if n := tableCounts(t, e.ts.Store)["interactions"] - before["interactions"]; n < 1 {
		t.Errorf("the control reply made %d interactions, want at least 1 (else the accepted-by-design checks prove nothing)", n)
	}
}

// ---- limits: what one sender can cost us ----
//
// A signed activity is not harmless because it verifies: its sender can
// still try to stall the worker, fill the disk, hold our memory while we
// fetch keys, or make us send signed answers. Each case below is one such
// attack with the limit that stops it.

// limitsEnv is a blog whose limits a case chose, the stand-in peers and
// their accounts.
type limitsEnv struct {
	*hostileEnv
}

func newLimitsEnv(t *testing.T, store *models.Store, keys hostileKeys, fedCfg func(*federation.Config), cfg func(*Config)) *limitsEnv {
	e := &hostileEnv{t: t, mallory: keys.mallory, rnd: mrand.New(mrand.NewPCG(3, 4)), client: &http.Client{Transport: &http.Transport{Proxy: nil}}}
	e.peer = newHostilePeer(t, false, "")
	e.peer2 = newHostilePeer(t, false, "")
	e.bob = e.peer.addActor(t, "bob", keys.bob)
	e.carol = e.peer.addActor(t, "carol", keys.carol)
	e.eve = e.peer2.addActor(t, "eve", keys.eve)
	e.ts = buildTestServerTuned(t, store, "http://"+hostileBlogHost, true, fedCfg, cfg)
	front := httptest.NewServer(e.ts.Echo)
	t.Cleanup(front.Close)
	e.front = front.URL
	for _, a := range []*hostileActor{e.bob, e.carol, e.eve} {
		if _, err := e.ts.Fed.FetchActor(context.Background(), a.uri, true); err != nil {
			t.Fatalf("warm %s: %v", a.uri, err)
		}
	}
	art := e.ts.article(e.ts.author("alice"), "hello", "Hello", "Hello, world.", time.Now().Add(-time.Hour))
	e.article = fmt.Sprintf("http://blog.test/articles/%d", art.ID)
	return &limitsEnv{e}
}

// post sends h through the router (no network), with body as the request
// body when given (to see whether it is read).
func (e *limitsEnv) post(h *hreq, body io.Reader) *httptest.ResponseRecorder {
	if body == nil {
		body = bytes.NewReader(h.body)
	}
	req := httptest.NewRequest(h.method, "http://"+h.host+h.path, body)
	for k, vs := range h.header {
		req.Header[k] = vs
	}
	return e.ts.do(req)
}

// readSpy is a request body that records whether anyone read it.
type readSpy struct {
	r    io.Reader
	read atomic.Bool
}

func (s *readSpy) Read(p []byte) (int, error) { s.read.Store(true); return s.r.Read(p) }

// wantStatus checks a response's status and, for 429, its Retry-After.
func wantStatus(t *testing.T, what string, rec *httptest.ResponseRecorder, want int) {
	t.Helper()
	if rec.Code != want {
		t.Fatalf("%s: status %d, want %d: %s", what, rec.Code, want, rec.Body)
	}
	if want == http.StatusTooManyRequests {
		if s, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || s < 1 {
			t.Fatalf("%s: 429 with Retry-After %q", what, rec.Header().Get("Retry-After"))
		}
	}
}

func TestInboxHostileLimits(t *testing.T) {
	var keys hostileKeys
	for _, k := range []**rsa.PrivateKey{&keys.bob, &keys.carol, &keys.eve, &keys.mallory} {
		var err error
		if *k, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
	}
	for _, backend := range []struct {
		name  string
		store func(testing.TB) *models.Store
	}{{"sqlite", modelstest.SQLite}, {"postgres", modelstest.Postgres}} {
		cases := []struct {
			name   string
			fed    func(*federation.Config)
			limits func(*Config)
			run    func(t *testing.T, e *limitsEnv)
		}{
			{"one signer over its allowance", nil, func(c *Config) { c.RateLimits.InboxActor = RateLimit{Max: 3, Window: time.Hour} }, limitSigner},
			{"one host over its allowance, refused before the body", nil, func(c *Config) { c.RateLimits.InboxHost = RateLimit{Max: 3, Window: time.Hour} }, limitHost},
			{"pending activities of one actor", func(c *federation.Config) { c.InboxPendingPerActor = 3 }, nil, limitPending},
			{"1 MiB Creates: bodies kept only until processed", nil, nil, limitBodies},
			{"one failing key, many requests: one fetch", nil, nil, limitKeyFailure},
			{"slow keys: fetches capped, no body held", func(c *federation.Config) { c.KeyFetches = 2 }, nil, limitKeyCap},
			{"a trickling origin stalls nobody else", func(c *federation.Config) { c.InboxFetchBudget = time.Hour }, nil, limitStall},
			{"repeated Follows: one Accept", nil, nil, limitFollows},
		}
		for _, c := range cases {
			t.Run(backend.name+"/"+c.name, func(t *testing.T) {
				c.run(t, newLimitsEnv(t, backend.store(t), keys, c.fed, c.limits))
			})
		}
	}
}

// limitSigner: past its allowance a verified signer gets 429 with
// Retry-After; another actor of the same host does not pay for it, and
// requests failing verification spend nobody's allowance.
func limitSigner(t *testing.T, e *limitsEnv) {
	for range 5 { // forged: bob's key, mallory's signature
		wantStatus(t, "forged", e.post(e.unsigned("/inbox", e.like(e.bob)).signAs(e.bob.keyID, e.mallory, hostileStdHeaders, hostileStdHeaders), nil), http.StatusUnauthorized)
	}
	for i := range 3 {
		wantStatus(t, fmt.Sprintf("bob's Like %d", i+1), e.post(e.signed(e.bob, "/inbox", e.like(e.bob)), nil), http.StatusAccepted)
	}
	wantStatus(t, "bob's 4th Like", e.post(e.signed(e.bob, "/inbox", e.like(e.bob)), nil), http.StatusTooManyRequests)
	wantStatus(t, "carol, same host", e.post(e.signed(e.carol, "/inbox", e.like(e.carol)), nil), http.StatusAccepted)
	if n, _ := e.ts.Store.CountInboxItems(context.Background()); n != 4 {
		t.Fatalf("%d items stored, want 4", n)
	}
}

// limitHost: verified requests spend their host's allowance; past it, the
// host's requests get 429 before their body is read or their key
// resolved; other hosts are not concerned.
func limitHost(t *testing.T, e *limitsEnv) {
	for range 5 {
		wantStatus(t, "forged", e.post(e.unsigned("/inbox", e.like(e.bob)).signAs(e.bob.keyID, e.mallory, hostileStdHeaders, hostileStdHeaders), nil), http.StatusUnauthorized)
	}
	for i, a := range []*hostileActor{e.bob, e.carol, e.bob} {
		wantStatus(t, fmt.Sprintf("verified %d", i+1), e.post(e.signed(a, "/inbox", e.like(a)), nil), http.StatusAccepted)
	}
	spy := &readSpy{r: bytes.NewReader(e.like(e.carol))}
	h := e.signed(e.carol, "/inbox", e.like(e.carol))
	wantStatus(t, "4th from the host", e.post(h, spy), http.StatusTooManyRequests)
	if spy.read.Load() {
		t.Fatal("the body of a request refused by its host's limit was read")
	}
	fetches := e.peer.reqs.Load()
	spy = &readSpy{r: bytes.NewReader(e.like(e.bob))}
	wantStatus(t, "unknown key on the host", e.post(e.unsigned("/inbox", e.like(e.bob)).signAs(e.peer.base+"/users/nobody#main-key", e.mallory, hostileStdHeaders, hostileStdHeaders), spy), http.StatusTooManyRequests)
	if spy.read.Load() || e.peer.reqs.Load() != fetches {
		t.Fatal("a request refused by its host's limit caused a read or a key fetch")
	}
	wantStatus(t, "another host", e.post(e.signed(e.eve, "/inbox", e.like(e.eve)), nil), http.StatusAccepted)
}

// limitPending: an actor's stored, unprocessed activities are capped; once
// the worker caught up it is accepted again.
func limitPending(t *testing.T, e *limitsEnv) {
	for i := range 3 {
		wantStatus(t, fmt.Sprintf("Like %d", i+1), e.post(e.signed(e.bob, "/inbox", e.like(e.bob)), nil), http.StatusAccepted)
	}
	wantStatus(t, "4th waiting", e.post(e.signed(e.bob, "/inbox", e.like(e.bob)), nil), http.StatusTooManyRequests)
	wantStatus(t, "carol's own", e.post(e.signed(e.carol, "/inbox", e.like(e.carol)), nil), http.StatusAccepted)
	drainInbox(t, e.ts.Fed)
	wantStatus(t, "after processing", e.post(e.signed(e.bob, "/inbox", e.like(e.bob)), nil), http.StatusAccepted)
}

// limitBodies: the issue's disk filler, 60 signed 1 MiB Creates from one
// actor in a burst. The default limits store at most
// InboxPendingPerActor of them; once processed no body is left; a failed
// item keeps a bounded excerpt for debugging.
func limitBodies(t *testing.T, e *limitsEnv) {
	ctx := context.Background()
	pad := strings.Repeat("x", federation.MaxInboxBody-2048)
	statuses := map[int]int{}
	for i := range 60 {
		note := map[string]any{"id": e.id(e.bob, "notes"), "type": "Note", "attributedTo": e.bob.uri, "inReplyTo": e.article,
			"content": fmt.Sprintf("<p>%d</p>", i), "to": []any{asContext + "#Public"}, "summary": pad}
		rec := e.post(e.signed(e.bob, "/inbox", e.activity(e.bob, "Create", map[string]any{"object": note})), nil)
		statuses[rec.Code]++
	}
	stored := bodyBytes(t, e.ts.Store)
	t.Logf("60 × 1 MiB Creates: statuses %v, %d MiB of bodies stored", statuses, stored>>20)
	if statuses[http.StatusAccepted] > 20 || statuses[http.StatusTooManyRequests] < 40 || stored > 20*federation.MaxInboxBody {
		t.Fatalf("one actor stored %d bodies (%d bytes): statuses %v", statuses[http.StatusAccepted], stored, statuses)
	}
	// Given up at once: the object, sent by reference, is 404 at its origin.
	failed := e.activity(e.carol, "Create", map[string]any{"object": e.carol.base + "/gone", "padding": pad})
	wantStatus(t, "a Create that will fail", e.post(e.signed(e.carol, "/inbox", failed), nil), http.StatusAccepted)
	drainInbox(t, e.ts.Fed)
	if n := bodyBytes(t, e.ts.Store); n > models.KeptFailedBody {
		t.Fatalf("%d bytes of bodies left after processing, want at most the failed item's excerpt (%d)", n, models.KeptFailedBody)
	}
	var a struct{ ID string }
	json.Unmarshal(failed, &a)
	it, err := e.ts.Store.InboxItemByActivityID(ctx, a.ID)
	if err != nil || it.Error == "" || len(it.Body) == 0 {
		t.Fatalf("the failed item kept no excerpt: %+v %v", it, err)
	}
}

// bodyBytes sums the stored inbox bodies.
func bodyBytes(t *testing.T, s *models.Store) int {
	t.Helper()
	n, err := s.InboxBodyBytes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// keyStandIn serves keys slowly or not at all and counts the fetches.
type keyStandIn struct {
	srv     *httptest.Server
	fetches atomic.Int64
	waiting chan string   // a slow fetch arrived
	release chan struct{} // closed: slow fetches answer (404)
}

func newKeyStandIn(t *testing.T) *keyStandIn {
	k := &keyStandIn{waiting: make(chan string, 100), release: make(chan struct{})}
	k.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.fetches.Add(1)
		if strings.HasPrefix(r.URL.Path, "/slow/") {
			k.waiting <- r.URL.Path
			select {
			case <-k.release:
			case <-r.Context().Done():
			}
		}
		http.Error(w, "no such key", http.StatusInternalServerError)
	}))
	t.Cleanup(func() {
		select {
		case <-k.release:
		default:
			close(k.release)
		}
		k.srv.Close()
	})
	return k
}

// limitKeyFailure: concurrent requests naming one key that cannot be
// fetched share one fetch; later ones are answered from the remembered
// failure (401 with Retry-After) without fetching again.
func limitKeyFailure(t *testing.T, e *limitsEnv) {
	k := newKeyStandIn(t)
	keyID := k.srv.URL + "/slow/one#main-key"
	req := func() *hreq {
		return e.unsigned("/inbox", e.like(e.bob)).signAs(keyID, e.mallory, hostileStdHeaders, hostileStdHeaders)
	}
	const n = 5
	done := make(chan *httptest.ResponseRecorder, n)
	for range n {
		go func() { done <- e.post(req(), nil) }()
	}
	<-k.waiting
	// The others join the fetch in progress (they are not answered before
	// it ends): release it only once all are in.
	waitUntil(t, 10*time.Second, "requests joining the fetch", func() bool {
		var m dto.Metric
		e.ts.Fed.Metrics.KeyFetchWaiting.Write(&m)
		return m.GetGauge().GetValue() == n
	})
	close(k.release)
	for range n {
		wantStatus(t, "naming the failing key", <-done, http.StatusUnauthorized)
	}
	rec := e.post(req(), nil)
	wantStatus(t, "again", rec, http.StatusUnauthorized)
	if rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "remembered") {
		t.Fatalf("the remembered failure: %s (Retry-After %q)", rec.Body, rec.Header().Get("Retry-After"))
	}
	if got := k.fetches.Load(); got != 1 {
		t.Fatalf("%d fetches of one key for %d requests, want 1", got, n+1)
	}
}

// limitKeyCap: key fetches run at most Config.KeyFetches at once; a
// request over the cap is answered 429 with Retry-After at once, and no
// request waiting for a key fetch has its body read.
func limitKeyCap(t *testing.T, e *limitsEnv) {
	k := newKeyStandIn(t)
	const n = 6
	type sent struct {
		spy *readSpy
		rec *httptest.ResponseRecorder
	}
	done := make(chan sent, n)
	spies := make([]*readSpy, n)
	for i := range n {
		body := e.like(e.bob)
		h := e.unsigned("/inbox", body).signAs(fmt.Sprintf("%s/slow/%d#main-key", k.srv.URL, i), e.mallory, hostileStdHeaders, hostileStdHeaders)
		spies[i] = &readSpy{r: bytes.NewReader(body)}
		go func() { done <- sent{spies[i], e.post(h, spies[i])} }()
	}
	for range 2 {
		<-k.waiting
	}
	// Everyone but the two fetching is answered while those wait.
	for range n - 2 {
		s := <-done
		wantStatus(t, "over the cap", s.rec, http.StatusTooManyRequests)
		if s.spy.read.Load() {
			t.Fatal("the body of a request refused for a busy key fetch was read")
		}
	}
	for _, s := range spies {
		if s.read.Load() {
			t.Fatal("a body was read while its key was being fetched")
		}
	}
	close(k.release)
	for range 2 {
		wantStatus(t, "fetched, failed", (<-done).rec, http.StatusUnauthorized)
	}
	if got := k.fetches.Load(); got != 2 {
		t.Fatalf("%d key fetches, want 2", got)
	}
}

// waitUntil polls cond until it holds or within passes.
func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(within)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline:
			t.Fatalf("%s: not within %s", what, within)
		case <-tick.C:
		}
	}
}

// limitStall: a Create whose parent is on an origin trickling its answer
// byte by byte does not delay another sender's Like: the running worker
// applies the Like within seconds while the Create still waits.
func limitStall(t *testing.T, e *limitsEnv) {
	var open atomic.Int64
	started, feed := make(chan struct{}, 10), make(chan struct{})
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		open.Add(1)
		defer open.Add(-1)
		w.Header().Set("Content-Type", "application/activity+json")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("{"))
		w.(http.Flusher).Flush()
		started <- struct{}{}
		for {
			select {
			case <-r.Context().Done():
				return
			case <-feed:
				w.Write([]byte(" "))
				w.(http.Flusher).Flush()
			}
		}
	}))
	defer func() {
		origin.CloseClientConnections()
		origin.Close()
	}()
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		e.ts.Fed.Run(ctx)
	}()
	defer func() {
		cancel()
		<-stopped
	}()
	note := map[string]any{"id": e.id(e.eve, "notes"), "type": "Note", "attributedTo": e.eve.uri, "inReplyTo": origin.URL + "/notes/parent",
		"content": "<p>wait</p>", "to": []any{asContext + "#Public"}}
	wantStatus(t, "hostile Create", e.post(e.signed(e.eve, "/inbox", e.activity(e.eve, "Create", map[string]any{"object": note})), nil), http.StatusAccepted)
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the trickling parent was never fetched")
	}
	like := e.like(e.carol)
	var a struct{ ID string }
	json.Unmarshal(like, &a)
	sent := time.Now()
	wantStatus(t, "Like", e.post(e.signed(e.carol, "/inbox", like), nil), http.StatusAccepted)
	deadline := sent.Add(5 * time.Second)
	for {
		if it, err := e.ts.Store.InboxItemByActivityID(context.Background(), a.ID); err == nil && it.ProcessedAt != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the Like was not applied within 5 s while the hostile Create waited")
		}
		select { // one more byte: the hostile fetch stays alive
		case feed <- struct{}{}:
		case <-time.After(10 * time.Millisecond):
		}
	}
	if open.Load() != 1 {
		t.Fatal("the hostile fetch is not in progress any more")
	}
	t.Logf("Like applied %s after it was sent, while the hostile Create waited", time.Since(sent).Round(time.Millisecond))
}

// limitFollows: 100 Follows from one actor queue one signed Accept; a
// Follow after its Undo is new and answered.
func limitFollows(t *testing.T, e *limitsEnv) {
	ctx := context.Background()
	follow := func() []byte {
		return e.activity(e.bob, "Follow", map[string]any{"object": "http://blog.test/users/blog"})
	}
	for range 100 {
		rec := e.post(e.signed(e.bob, "/inbox", follow()), nil)
		if rec.Code == http.StatusTooManyRequests {
			drainInbox(t, e.ts.Fed) // the pending cap; the per-actor rate is 30 a minute
			e.ts.writeLimits.inboxActor.forget(e.bob.uri)
			rec = e.post(e.signed(e.bob, "/inbox", follow()), nil)
		}
		wantStatus(t, "Follow", rec, http.StatusAccepted)
	}
	drainInbox(t, e.ts.Fed)
	if n, _ := e.ts.Store.CountPendingDeliveries(ctx); n != 1 {
		t.Fatalf("100 Follows queued %d Accepts, want 1", n)
	}
	last := follow()
	var f struct{ ID string }
	json.Unmarshal(last, &f)
	wantStatus(t, "Follow", e.post(e.signed(e.bob, "/inbox", last), nil), http.StatusAccepted)
	wantStatus(t, "Undo", e.post(e.signed(e.bob, "/inbox", e.activity(e.bob, "Undo", map[string]any{"object": f.ID})), nil), http.StatusAccepted)
	drainInbox(t, e.ts.Fed)
	wantStatus(t, "Follow after Undo", e.post(e.signed(e.bob, "/inbox", follow()), nil), http.StatusAccepted)
	drainInbox(t, e.ts.Fed)
	if n, _ := e.ts.Store.CountPendingDeliveries(ctx); n != 2 {
		t.Fatalf("a Follow after an Undo: %d Accepts queued, want 2", n)
	}
}
