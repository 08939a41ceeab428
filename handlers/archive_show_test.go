package handlers

import (
	"testing"
)

func TestArchivesAndTags(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	tests := []struct {
		path       string
		status     int
		want, lack []string
	}{
		{"/2012/", 200, []string{`<h1 class="page-title">Yearly Archives: 2012</h1>`, "Storm hits the coast", "October round-up", "<title>2012 – fedpress</title>"}, []string{"Future secret", "Draft secret"}},
		{"/2012/11/", 200, []string{`<h1 class="page-title">Monthly Archives: November 2012</h1>`, "Storm hits the coast", `<link rel="canonical" href="http://blog.test/2012/11/">`}, []string{"October round-up", "Future secret"}},
		{"/2012/10/", 200, []string{"Monthly Archives: October 2012", "October round-up"}, []string{"Storm hits the coast"}},
		{"/tag/news/", 200, []string{`<h1 class="page-title">Tag Archives: News</h1>`, "Storm hits the coast", "October round-up"}, nil},
		{"/tag/asia-pacific/", 200, []string{"Tag Archives: Asia Pacific", "Storm hits the coast"}, []string{"October round-up"}},
		// Nothing visible: the scheduled article's month and tag, the draft's tag.
		{"/2012/12/", 404, []string{"Page not found"}, []string{"Future secret"}},
		{"/tag/secret/", 404, nil, []string{"Future secret", "Draft secret"}},
		{"/2011/", 404, nil, nil},
		{"/2012/13/", 404, nil, nil},
		{"/2012/00/", 404, nil, nil},
		{"/2012/1/", 404, nil, nil},
		{"/12/", 404, nil, nil},
		{"/abcd/", 404, nil, nil},
		{"/tag/unknown/", 404, nil, nil},
		{"/2012/11/?page=2", 404, nil, nil},
		{"/2012/11/?page=x", 404, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := f.get(tt.path)
			pubStatus(t, rec, tt.status)
			pubHas(t, rec, tt.want...)
			pubLacks(t, rec, tt.lack...)
		})
	}
}
