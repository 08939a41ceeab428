package handlers

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
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

// Followers get in Create the document a peer fetches at the article's id
// or permalink: one representation, whichever way it arrives.
func TestArticleDocumentIsTheCreateObject(t *testing.T) {
	ts := newTestServer(t)
	a := ts.author("alice")
	when := time.Now().UTC().Add(-time.Hour)
	art := ts.article(a, "harbour", "Harbour reopens", "![The quay](/media/q.jpg \"The quay at dawn\")\n\nShips are back.", when, "News")
	served := map[string]map[string]any{}
	for _, path := range []string{"/articles/" + fedID(art.ID), art.Permalink()} {
		rec := ts.get(path, "Accept", as2Accept)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
		m := jsonBody(t, rec)
		delete(m, "@context")
		served[path] = m
	}
	rec := ts.get("/activities/create/"+fedID(art.ID)+"/"+versionOf(art.PublishedAt), "Accept", as2Accept)
	if rec.Code != http.StatusOK {
		t.Fatalf("Create: %d %s", rec.Code, rec.Body)
	}
	create, _ := jsonBody(t, rec)["object"].(map[string]any)
	id := served["/articles/"+fedID(art.ID)]
	if !reflect.DeepEqual(id, served[art.Permalink()]) || !reflect.DeepEqual(id, create) {
		t.Errorf("three documents:\nid        %v\npermalink %v\nCreate    %v", id, served[art.Permalink()], create)
	}
	if id["type"] != "Note" || !strings.Contains(fmt.Sprint(id["content"]), "Harbour reopens") {
		t.Errorf("document %v", id)
	}
}
