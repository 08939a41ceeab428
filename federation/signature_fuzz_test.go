package federation

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"
)

func fixtureSignatureSeeds(f *testing.F) []string {
	var seeds []string
	for _, c := range loadCaptured(f) {
		seeds = append(seeds, c.Headers["signature"])
	}
	return seeds
}

func FuzzParseSignatureHeader(f *testing.F) {
	for _, s := range fixtureSignatureSeeds(f) {
		f.Add(s)
	}
	f.Add(`keyId="k", algorithm="rsa-sha256", headers="(request-target) host date digest", signature="c2ln"`)
	f.Add(`Signature keyId="k",created=1700000000,expires=1700000300.5,headers="(created) (expires)",signature="c2ln"`)
	f.Add(`keyId="a\"b\\",signature=c2ln`)
	f.Add(`,,keyId=,=`)
	alice := aliceKey(f)
	resolve := func(context.Context, string, bool) (PublicKeyInfo, error) { return alice, nil }
	now := time.Date(2026, 11, 28, 4, 10, 25, 0, time.UTC)
	f.Fuzz(func(t *testing.T, h string) {
		p, err := parseSignatureHeader(h)
		if err == nil && (p.KeyID == "" || p.Signature == "") {
			t.Fatalf("accepted without keyId/signature: %+v", p)
		}
		// The whole verifier must fail cleanly too.
		r := httptest.NewRequest("POST", "/inbox", nil)
		r.Host = fixtureHost
		r.Header.Set("Date", "Sat, 28 Nov 2026 04:10:25 GMT")
		r.Header.Set("Digest", "SHA-256=LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564=")
		r.Header.Set("Signature", h)
		// The inbox's first step, before it reads the body: a key id or a
		// clean 4xx.
		sr, perr := ParseSignature(r, true, VerifyOptions{Now: fixedClock(now)})
		var pe *SignatureError
		if perr != nil && (!errors.As(perr, &pe) || pe.Status < 400 || pe.Status > 499) {
			t.Fatalf("ParseSignature: %v", perr)
		}
		if perr == nil && sr.KeyID == "" {
			t.Fatal("ParseSignature accepted a header without key id")
		}
		_, err = VerifyRequest(context.Background(), r, []byte("foo"), resolve, VerifyOptions{Now: fixedClock(now)})
		var se *SignatureError
		if err == nil || !errors.As(err, &se) || se.Status < 400 || se.Status > 499 {
			t.Fatalf("forged header: err=%v", err)
		}
	})
}

func FuzzParseSignatureInput(f *testing.F) {
	const sig = `sig1=:c2ln:`
	for _, s := range fixtureSignatureSeeds(f) {
		f.Add(s, s)
	}
	f.Add(`sig1=("@method" "@target-uri" "content-digest");created=1732767025;keyid="https://remote.example/users/bob#main-key";alg="rsa-v1_5-sha256"`, sig)
	f.Add(`sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`, `sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:`)
	f.Add(`a=1, b=?0, c;x=tok/en:1, d=:AQID:, e=1.50, f=-3, sig1=(1 2.5 "x" ?1 tok :AA==:);p=1`, sig)
	f.Add(`sig1=("@query-param";name="x");created=1`, sig)
	f.Fuzz(func(t *testing.T, input, signature string) {
		in, err := parseSignatureInput(input, signature)
		if err != nil {
			return
		}
		// The serialized @signature-params must itself parse and be stable.
		ser := serializeSFInnerList(in.Raw.List, in.Raw.Params)
		again, err := parseSFDictionary(in.Label + "=" + ser)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", ser, err)
		}
		if len(again) != 1 || !again[0].IsList {
			t.Fatalf("re-parse of %q: %+v", ser, again)
		}
		if ser2 := serializeSFInnerList(again[0].List, again[0].Params); ser2 != ser {
			t.Fatalf("unstable serialization %q -> %q", ser, ser2)
		}
		r := httptest.NewRequest("GET", "/users/blog", nil)
		r.Host = "blog.example"
		if _, err := signatureBases(r, in); err != nil {
			var se *SignatureError
			if !errors.As(err, &se) {
				t.Fatalf("signatureBases: %T %v", err, err)
			}
		}
	})
}
