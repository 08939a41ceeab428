package federation

import (
	"context"
	"testing"

	"fedpress/models"
	"fedpress/models/modelstest"
)

// Actors carry their avatar as icon and their header as image, each an
// Image with url and mediaType (Mastodon and GoToSocial read both); the
// blog's avatar falls back to the site icon.
func TestActorImages(t *testing.T) {
	modelstest.Each(t, testActorImages)
}

func testActorImages(t *testing.T, store *models.Store) {
	e := newOutEnv(t, store)
	ctx := context.Background()
	a := e.author("alice")
	a.AvatarPath, a.HeaderPath = "a1.webp", "h1.jpg"
	if err := e.store.SaveAuthor(ctx, a); err != nil {
		t.Fatal(err)
	}
	e.author("bob")
	type img struct{ url, mediaType string }
	tests := []struct {
		name, username    string
		blogAvatar        string // settings
		blogHeader        string
		siteIcon          string
		wantIcon, wantImg *img
	}{
		{"author with both", "alice", "", "", "", &img{"/media/a1.webp", "image/webp"}, &img{"/media/h1.jpg", "image/jpeg"}},
		{"author with none", "bob", "", "", "", nil, nil},
		{"blog with none", "blog", "", "", "", nil, nil},
		{"blog falls back to the site icon", "blog", "", "", "icon.png", &img{"/media/icon.png", "image/png"}, nil},
		{"blog's own avatar wins", "blog", "b.gif", "bh.png", "icon.png", &img{"/media/b.gif", "image/gif"}, &img{"/media/bh.png", "image/png"}},
		{"blog header alone", "blog", "", "bh.png", "", nil, &img{"/media/bh.png", "image/png"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := e.store.GetSettings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			st.BlogAvatarPath, st.BlogHeaderPath, st.SiteIconPath = tc.blogAvatar, tc.blogHeader, tc.siteIcon
			if err := e.store.SaveSettings(ctx, st); err != nil {
				t.Fatal(err)
			}
			d, err := e.svc.ActorDocument(ctx, tc.username, false)
			if err != nil {
				t.Fatal(err)
			}
			m := asPeerSees(t, d)
			for key, want := range map[string]*img{"icon": tc.wantIcon, "image": tc.wantImg} {
				got, present := m[key]
				if want == nil {
					if present {
						t.Errorf("%s = %v, want none", key, got)
					}
					continue
				}
				if dig(m, key, "type") != "Image" || dig(m, key, "url") != testBase+want.url || dig(m, key, "mediaType") != want.mediaType {
					t.Errorf("%s = %v, want Image %s %s", key, got, want.url, want.mediaType)
				}
			}
			// The key-only document (authorized fetch) shows neither.
			k, err := e.svc.ActorDocument(ctx, tc.username, true)
			if err != nil {
				t.Fatal(err)
			}
			if km := asPeerSees(t, k); km["icon"] != nil || km["image"] != nil {
				t.Errorf("key-only actor has images: %v %v", km["icon"], km["image"])
			}
		})
	}
}
