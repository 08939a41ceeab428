package handlers

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"fedpress/models"
)

type rssParsed struct {
	Channel struct {
		Title string `xml:"title"`
		Link  string `xml:"link"`
		Items []struct {
			Title   string `xml:"title"`
			Link    string `xml:"link"`
			GUID    string `xml:"guid"`
			PubDate string `xml:"pubDate"`
			Creator string `xml:"http://purl.org/dc/elements/1.1/ creator"`
			Content string `xml:"http://purl.org/rss/1.0/modules/content/ encoded"`
		} `xml:"item"`
	} `xml:"channel"`
}

type atomParsed struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Entries []struct {
		ID    string `xml:"id"`
		Title string `xml:"title"`
		Link  struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Published string `xml:"published"`
		Content   struct {
			Type  string `xml:"type,attr"`
			Value string `xml:",chardata"`
		} `xml:"content"`
	} `xml:"entry"`
}

func TestFeedRSS(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	rec := f.get("/feed.xml")
	pubStatus(t, rec, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); ct != "application/rss+xml; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	var doc rssParsed
	if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("RSS does not parse: %v", err)
	}
	if len(doc.Channel.Items) != 2 {
		t.Fatalf("%d items, want the 2 visible articles", len(doc.Channel.Items))
	}
	it := doc.Channel.Items[0]
	if it.Title != "Storm hits the coast" || it.Link != "http://blog.test/2012/11/hello-world/" || it.Creator != "Alice" {
		t.Errorf("item = %+v", it)
	}
	if it.PubDate != "Sat, 17 Nov 2012 10:00:00 +0000" {
		t.Errorf("pubDate = %q", it.PubDate)
	}
	if !strings.Contains(it.Content, `<img src="http://blog.test/media/waves.jpg"`) || strings.Contains(it.Content, `src="/media`) {
		t.Errorf("content:encoded lacks absolute image URLs: %s", it.Content)
	}
	if !strings.Contains(it.Content, "<figcaption>Sandbags on Main Street</figcaption>") {
		t.Errorf("content:encoded lacks the full HTML: %s", it.Content)
	}
	pubLacks(t, rec, "Draft secret", "Future secret")

	// Conditional GET, asked of the handler itself: a page cache in front
	// answers on its own.
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	req := httptest.NewRequest(http.MethodGet, "/feed.xml", nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	if err := f.feedRSS(f.Echo.NewContext(req, rec)); err != nil {
		t.Fatal(err)
	}
	pubStatus(t, rec, http.StatusNotModified)
}

func TestFeedAtom(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	rec := f.get("/atom.xml")
	pubStatus(t, rec, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); ct != "application/atom+xml; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	var doc atomParsed
	if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("Atom does not parse: %v", err)
	}
	if len(doc.Entries) != 2 {
		t.Fatalf("%d entries, want 2", len(doc.Entries))
	}
	e := doc.Entries[0]
	if e.ID != "http://blog.test/articles/1" || e.Link.Href != "http://blog.test/2012/11/hello-world/" || e.Published != "2012-11-17T10:00:00Z" {
		t.Errorf("entry = %+v", e)
	}
	if e.Content.Type != "html" || !strings.Contains(e.Content.Value, `src="http://blog.test/media/sandbags.jpg"`) {
		t.Errorf("content = %+v", e.Content)
	}
	pubLacks(t, rec, "Draft secret", "Future secret")
}

func TestFeedComments(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	f.interaction(models.Interaction{AuthorName: "Bob", AuthorEmail: "bob@example.com", Content: "<p>Approved words</p>"})
	f.interaction(models.Interaction{AuthorName: "Eve", AuthorEmail: "eve@example.com", Content: "<p>Pending words</p>", Status: models.StatusPending})
	f.interaction(models.Interaction{AuthorName: "Mal", AuthorEmail: "m@example.com", Content: "<p>Hidden article words</p>", ArticleID: f.scheduled.ID})
	rec := f.get("/comments/feed.xml")
	pubStatus(t, rec, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); ct != "application/rss+xml; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	var doc rssParsed
	if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("comments feed does not parse: %v", err)
	}
	if len(doc.Channel.Items) != 1 {
		t.Fatalf("%d items, want 1", len(doc.Channel.Items))
	}
	it := doc.Channel.Items[0]
	if it.Title != "Comment on Storm hits the coast by Bob" || !strings.HasPrefix(it.Link, "http://blog.test/2012/11/hello-world/#comment-") || it.Content != "<p>Approved words</p>" {
		t.Errorf("item = %+v", it)
	}
	pubLacks(t, rec, "Pending words", "Hidden article words", "bob@example.com")
}

func TestSitemapAndRobots(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	rec := f.get("/sitemap.xml")
	pubStatus(t, rec, http.StatusOK)
	var set struct {
		URLs []struct {
			Loc     string `xml:"loc"`
			LastMod string `xml:"lastmod"`
		} `xml:"url"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &set); err != nil {
		t.Fatalf("sitemap does not parse: %v", err)
	}
	var locs []string
	for _, u := range set.URLs {
		locs = append(locs, u.Loc)
	}
	got := strings.Join(locs, " ")
	want := "http://blog.test/ http://blog.test/2012/11/hello-world/ http://blog.test/2012/10/october-news/ http://blog.test/2012/11/ http://blog.test/2012/10/"
	if got != want {
		t.Errorf("sitemap = %s\nwant      %s", got, want)
	}
	if set.URLs[1].LastMod == "" {
		t.Error("article without lastmod")
	}

	rec = f.get("/robots.txt")
	pubStatus(t, rec, http.StatusOK)
	pubHas(t, rec, "User-agent: *", "Disallow: /admin/", "Sitemap: http://blog.test/sitemap.xml")
	if ct := rec.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
}
