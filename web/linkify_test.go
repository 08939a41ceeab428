package web

import "testing"

func TestLinkify(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain URL", `<p>see https://example.org/a</p>`,
			`<p>see <a href="https://example.org/a" rel="nofollow ugc noopener">https://example.org/a</a></p>`},
		{"trailing full stop and query", `<p>at http://ex.example/a?b=1&amp;c=2.</p>`,
			`<p>at <a href="http://ex.example/a?b=1&amp;c=2" rel="nofollow ugc noopener">http://ex.example/a?b=1&amp;c=2</a>.</p>`},
		{"in parentheses", `<p>(https://ex.example/x)</p>`,
			`<p>(<a href="https://ex.example/x" rel="nofollow ugc noopener">https://ex.example/x</a>)</p>`},
		{"two on lines", `<p>https://a.example/<br>https://b.example/</p>`,
			`<p><a href="https://a.example/" rel="nofollow ugc noopener">https://a.example/</a><br><a href="https://b.example/" rel="nofollow ugc noopener">https://b.example/</a></p>`},
		{"javascript stays text", `<p>javascript:alert(1) data:text/html,x</p>`, `<p>javascript:alert(1) data:text/html,x</p>`},
		{"no scheme stays text", `<p>www.example.org and example.org</p>`, `<p>www.example.org and example.org</p>`},
		{"escaped markup stays escaped", `<p>&lt;script&gt;http://x.example/&#34;onclick=1</p>`,
			`<p>&lt;script&gt;<a href="http://x.example/" rel="nofollow ugc noopener">http://x.example/</a>&#34;onclick=1</p>`},
		{"already a link", `<p><a href="https://a.example/" rel="nofollow ugc noopener">https://a.example/</a></p>`,
			`<p><a href="https://a.example/" rel="nofollow ugc noopener">https://a.example/</a></p>`},
		{"code left alone", `<pre><code>curl https://a.example/</code></pre>`, `<pre><code>curl https://a.example/</code></pre>`},
		{"no URL", `<p>Just words &amp; more.</p>`, `<p>Just words &amp; more.</p>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Linkify(tt.in)
			if got != tt.want {
				t.Errorf("Linkify(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if again := Linkify(got); again != got {
				t.Errorf("not idempotent: %q", again)
			}
			// What the comment path stores must survive the sanitizer.
			if s := SanitizeRemote(got); s != got {
				t.Errorf("sanitizer changed it: %q", s)
			}
		})
	}
}
