package handlers

import (
	"context"
	"net/http"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
)

// TestArticleFediverseMeta: an article page credits its author's fediverse
// handle (host with the port when the base URL has one), ties itself to
// the author's profiles with rel=me, and sizes its preview image from the
// stored upload.
func TestArticleFediverseMeta(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		base, handle string
	}{
		{"http://blog.test", "@alice@blog.test"},
		{"http://blog.test:8080", "@alice@blog.test:8080"},
	} {
		ts := buildTestServer(t, modelstest.SQLite(t), tc.base, true)
		ts.Now = func() time.Time { return publicNow }
		ctx := context.Background()
		alice := ts.author("alice")
		alice.Fields = `[{"name":"Mastodon","value":"https://social.example/@alice"},{"name":"Beat","value":"Weather"}]`
		if err := ts.Store.SaveAuthor(ctx, alice); err != nil {
			t.Fatal(err)
		}
		waves := &models.Media{AuthorID: alice.ID, Path: "waves.jpg", MimeType: "image/jpeg", Width: 1600, Height: 900}
		if err := ts.Store.CreateMedia(ctx, waves); err != nil {
			t.Fatal(err)
		}
		pub := publicNow.Add(-time.Hour)
		if _, err := ts.Store.SaveArticle(ctx, 0, models.ArticleInput{Title: "Waves", Slug: "waves", Status: models.StatusPublished,
			HTML: `<p>Sea.</p><figure><img src="/media/waves.jpg" alt="Waves on the wall"></figure>`, PublishedAt: &pub,
			AuthorID: alice.ID, MediaIDs: []uint{waves.ID}}); err != nil {
			t.Fatal(err)
		}
		// An image that is not an upload: no size is claimed.
		ts.article(alice, "linked", "Linked", "![Far away](https://elsewhere.example/far.jpg)", pub.Add(-time.Hour))
		ts.article(alice, "plain", "Plain", "No image.", pub.Add(-2*time.Hour))

		rec := ts.get("/2012/11/waves/")
		pubStatus(t, rec, http.StatusOK)
		pubHas(t, rec,
			`<meta name="fediverse:creator" content="`+tc.handle+`">`,
			`<link rel="me" href="`+tc.base+`/@alice">`,
			`<link rel="me" href="https://social.example/@alice">`,
			`<meta property="og:image" content="`+tc.base+`/media/waves.jpg">`,
			`<meta property="og:image:width" content="1600">`,
			`<meta property="og:image:height" content="900">`,
		)
		pubLacks(t, rec, `rel="me" href="`+tc.base+`/@blog"`)

		rec = ts.get("/2012/11/linked/")
		pubStatus(t, rec, http.StatusOK)
		pubHas(t, rec, `<meta property="og:image" content="https://elsewhere.example/far.jpg">`, `<meta name="fediverse:creator" content="`+tc.handle+`">`)
		pubLacks(t, rec, `og:image:width`)
		pubLacks(t, ts.get("/2012/11/plain/"), `og:image`)

		// Other pages: the blog's profile; an author's page: their profiles.
		rec = ts.get("/")
		pubHas(t, rec, `<link rel="me" href="`+tc.base+`/@blog">`)
		pubLacks(t, rec, "fediverse:creator")
		rec = ts.get("/@alice/")
		pubHas(t, rec, `<link rel="me" href="https://social.example/@alice">`)
		pubLacks(t, rec, "fediverse:creator", `<link rel="me" href="`+tc.base+`/@blog">`)
	}
}
