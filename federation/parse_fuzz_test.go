package federation

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The parsers below read outside input; these targets check they never
// panic and keep their invariants. Seeds include the real GoToSocial
// requests and actor. Longer runs: go test ./federation -run '^$' -fuzz NAME.

func FuzzParseActivity(f *testing.F) {
	for _, c := range loadCaptured(f) {
		if c.Body != nil {
			f.Add([]byte(*c.Body))
		}
	}
	f.Add([]byte(`{"type":"Create","id":"https://a/1","actor":{"id":"https://a/u"},"object":[{"type":"Note","inReplyTo":{"id":"x"},"tag":[{"type":"Emoji","icon":{"url":"u"}}]}]}`))
	f.Add([]byte(`{"@context":[],"type":["Like","EmojiReact"],"actor":1,"object":null}`))
	f.Add([]byte(strings.Repeat("[", 5000)))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := parseActivity(body)
		if err != nil {
			return
		}
		// Whatever the activity holds, reading its object must not panic.
		_ = a.objectID()
		if m := a.objectMap(); m != nil {
			if n, err := parseNote(m); err == nil && n == nil {
				t.Fatal("parseNote returned nil without error")
			}
			_, _ = parseActor(m, "")
		}
	})
}

func FuzzParseActor(f *testing.F) {
	doc, err := os.ReadFile(filepath.Join("testdata", "gotosocial", "alice-actor.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(doc, "http://localhost:8080/users/alice/main-key")
	f.Add([]byte(`{"id":"https://m/u","type":"Person","publicKey":[{"id":"k1"},{"id":"k2","publicKeyPem":"x"}],"endpoints":"nope","icon":[{"url":{"href":"h"}}]}`), "k2")
	f.Fuzz(func(t *testing.T, body []byte, wantKey string) {
		m, err := decodeJSONObject(body)
		if err != nil {
			return
		}
		a, err := parseActor(m, wantKey)
		if err == nil && a == nil {
			t.Fatal("parseActor returned nil without error")
		}
	})
}

func FuzzParseWebFingerAnswer(f *testing.F) {
	f.Add([]byte(`{"subject":"acct:a@b","links":[{"rel":"self","type":"application/activity+json","href":"https://b/u/a"},{"rel":"http://ostatus.org/schema/1.0/subscribe","template":"https://b/authorize_interaction?uri={uri}"}]}`))
	f.Add([]byte(`{"links":[{"rel":"x"},{"rel":"x","href":"h"}]}`))
	f.Add([]byte(`{"links":{"rel":"self"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		links, err := parseJRDLinks(body)
		if err != nil {
			return
		}
		for rel, v := range links {
			if v == "" {
				t.Fatalf("empty template kept for rel %q", rel)
			}
		}
		if tmpl, ok := links["http://ostatus.org/schema/1.0/subscribe"]; ok {
			_, _ = fillInteractTemplate(tmpl, "https://blog.test/articles/1")
		}
	})
}

func FuzzParsePingbackCall(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0"?><methodCall><methodName>pingback.ping</methodName><params><param><value><string>https://a/post</string></value></param><param><value><string>https://blog/2012/11/x/</string></value></param></params></methodCall>`))
	f.Add([]byte(`<methodCall><methodName>pingback.ping</methodName><params><param><value>https://a</value></param><param><value><i4>1</i4></value></param></params></methodCall>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "aaaa">]><methodCall>&a;</methodCall>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		src, target, err := ParsePingbackCall(bytes.NewReader(body))
		if err == nil && (src == "" || target == "") {
			t.Fatalf("accepted a call without source or target: %q %q", src, target)
		}
	})
}

func FuzzParseMentionSource(f *testing.F) {
	target := "https://blog.test/2012/11/x/"
	f.Add([]byte(`<html><head><title>T</title></head><body><article class="h-entry"><h1 class="p-name">Hi</h1><div class="e-content">See <a href="`+target+`">this</a></div><a class="p-author h-card" href="/me">Me</a></article></body></html>`), "text/html; charset=utf-8")
	f.Add([]byte(`plain text with `+target), "text/plain")
	f.Add([]byte(`<div class="h-entry h-entry"><a class="u-in-reply-to u-like-of" href="`+target+`"></a><div class="h-card p-author h-card">`), "text/html; charset=latin1")
	page, _ := url.Parse("https://source.test/post")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		_, _ = parseMentionSource(body, contentType, page, []string{target, "https://blog.test/articles/1"})
	})
}
