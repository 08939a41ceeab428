package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDeletedPermalinkIsGone(t *testing.T) {
	ts := newTestServer(t)
	a := ts.author("alice")
	art := ts.article(a, "gone", "Gone", "Bye.", time.Date(2012, 11, 17, 9, 0, 0, 0, time.UTC))
	if err := ts.Store.DeleteArticle(context.Background(), art.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, accept := range []string{"text/html", "application/activity+json"} {
		rec := ts.get(art.Permalink(), "Accept", accept)
		if rec.Code != http.StatusGone {
			t.Errorf("Accept %s: %d, want 410", accept, rec.Code)
		}
		if accept != "text/html" && !strings.Contains(rec.Body.String(), "Tombstone") {
			t.Errorf("AS2 answer is not a Tombstone: %s", rec.Body)
		}
	}
}
