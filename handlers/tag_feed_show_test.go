package handlers

import (
	"encoding/xml"
	"net/http"
	"testing"
	"time"
)

// rssChannelParsed reads what a feed reader needs of an RSS channel.
type rssChannelParsed struct {
	XMLName xml.Name `xml:"rss"`
	Version string   `xml:"version,attr"`
	Channel struct {
		Title string `xml:"title"`
		// <link> and <atom:link rel="self">, told apart by namespace.
		Links []struct {
			XMLName xml.Name
			Href    string `xml:"href,attr"`
			Rel     string `xml:"rel,attr"`
			Value   string `xml:",chardata"`
		} `xml:"link"`
		Description string `xml:"description"`
		Items       []struct {
			Title   string `xml:"title"`
			Link    string `xml:"link"`
			Creator string `xml:"http://purl.org/dc/elements/1.1/ creator"`
			Content string `xml:"http://purl.org/rss/1.0/modules/content/ encoded"`
		} `xml:"item"`
	} `xml:"channel"`
}

func parseRSS(t *testing.T, body []byte) rssChannelParsed {
	t.Helper()
	var doc rssChannelParsed
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("RSS does not parse: %v\n%s", err, body)
	}
	if doc.Version != "2.0" {
		t.Fatalf("rss version %q", doc.Version)
	}
	return doc
}

// links are the channel's <link> and its atom:link self address.
func (doc rssChannelParsed) links() (link, self string) {
	for _, l := range doc.Channel.Links {
		switch {
		case l.XMLName.Space == "":
			link = l.Value
		case l.XMLName.Space == "http://www.w3.org/2005/Atom" && l.Rel == "self":
			self = l.Href
		}
	}
	return link, self
}

func itemTitles(doc rssChannelParsed) []string {
	var out []string
	for _, it := range doc.Channel.Items {
		out = append(out, it.Title)
	}
	return out
}

// TestTagAndAuthorFeeds: per-tag and per-author RSS at WordPress's
// addresses, with only what readers may see, advertised on their pages.
func TestTagAndAuthorFeeds(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	bob := f.author("bob")
	f.article(bob, "bobs-news", "Bob reports", "Hi.", publicNow.Add(-48*time.Hour), "Sports")
	st, err := f.Store.GetSettings(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		path, title, link string // title: after the blog's
		items             []string
	}{
		{"/tag/news/feed/", " » News", "http://blog.test/tag/news/", []string{"Storm hits the coast", "October round-up"}},
		{"/tag/asia-pacific/feed/", " » Asia Pacific", "http://blog.test/tag/asia-pacific/", []string{"Storm hits the coast"}},
		{"/author/alice/feed/", " » Alice", "http://blog.test/@alice/", []string{"Storm hits the coast", "October round-up"}},
		{"/author/bob/feed/", " » Bob", "http://blog.test/@bob/", []string{"Bob reports"}},
	} {
		rec := f.get(tc.path)
		pubStatus(t, rec, http.StatusOK)
		if ct := rec.Header().Get("Content-Type"); ct != "application/rss+xml; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", tc.path, ct)
		}
		doc := parseRSS(t, rec.Body.Bytes())
		if link, self := doc.links(); link != tc.link || self != "http://blog.test"+tc.path {
			t.Errorf("%s: link %q, self %q", tc.path, link, self)
		}
		if want := st.Title + tc.title; doc.Channel.Title != want {
			t.Errorf("%s: title %q, want %q", tc.path, doc.Channel.Title, want)
		}
		got := itemTitles(doc)
		if len(got) != len(tc.items) {
			t.Errorf("%s: items %q, want %q", tc.path, got, tc.items)
			continue
		}
		for i := range got {
			if got[i] != tc.items[i] {
				t.Errorf("%s: items %q, want %q", tc.path, got, tc.items)
			}
		}
	}
	// Tags of drafts and scheduled articles only, and unknown ones: 404.
	for _, path := range []string{"/tag/secret/feed/", "/tag/nothing/feed/", "/author/nobody/feed/"} {
		if rec := f.get(path); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, rec.Code)
		}
	}

	// The pages advertise their feeds.
	pubHas(t, f.get("/tag/news/"), `<link rel="alternate" type="application/rss+xml" title="`)
	pubHas(t, f.get("/tag/news/"), `» News Tag Feed" href="/tag/news/feed/">`)
	pubHas(t, f.get("/@alice/"), `» Articles by Alice" href="/author/alice/feed/">`)
	pubLacks(t, f.get("/@blog/"), `/author/blog/feed/`)
	pubLacks(t, f.get("/"), `Tag Feed"`, `/author/`)
}
