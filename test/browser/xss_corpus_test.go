package browser

import (
	"strconv"
	"strings"
)

// payload is one entry of the XSS corpus. Each tries to set window.__xss
// to its number N, or to open a dialog with N, when the page runs it.
type payload struct {
	name string // short label for failure messages
	html string // reply content (and summary, actor name…); {N} is the number
	url  string // a hostile URL for the URL fields, "" to use a harmless one
}

// evil is a loopback port nothing listens on: a payload that manages to
// make a request gets a refused connection, never the network.
const evil = "http://127.0.0.1:1"

// xssCorpus is sent as reply content, content warning, author name,
// author URL, attachment and emoji. Hosts are loopback only.
var xssCorpus = []payload{
	{name: "script", html: `<script>window.__xss={N}</script>`},
	{name: "script-alert", html: `<SCRIPT>alert({N})</SCRIPT>`},
	{name: "img-onerror", html: `<img src=x onerror="window.__xss={N}">`},
	{name: "img-onerror-unquoted", html: `<img src="x" onerror=alert({N})>`},
	{name: "a-javascript", html: `<a href="javascript:window.__xss={N}">plain javascript: link</a>`, url: `javascript:window.__xss={N}`},
	{name: "a-javascript-mixed-case", html: `<a href="JaVaScRiPt:alert({N})">mixed case</a>`, url: `JaVaScRiPt:alert({N})`},
	{name: "a-javascript-dec-entities", html: `<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert({N})">decimal entities</a>`, url: `&#106;avascript:alert({N})`},
	{name: "a-javascript-hex-entity", html: `<a href="&#x6A;avascript&#x3A;alert({N})">hex entities</a>`},
	{name: "a-javascript-tab-entity", html: `<a href="java&#x09;script:alert({N})">tab entity</a>`, url: "java\tscript:alert({N})"},
	{name: "a-javascript-raw-tab", html: "<a href=\"jav\tascript:alert({N})\">raw tab</a>"},
	{name: "a-javascript-newline-entity", html: `<a href="jav&#x0A;ascript:alert({N})">newline entity</a>`, url: "jav\nascript:alert({N})"},
	{name: "a-javascript-leading-space", html: `<a href=" &#14; javascript:alert({N})">leading space and control</a>`, url: " javascript:alert({N})"},
	{name: "a-javascript-colon-entity", html: `<a href="javascript&colon;alert({N})">named colon entity</a>`},
	{name: "a-data-html-base64", html: `<a href="data:text/html;base64,PHNjcmlwdD53aW5kb3cub3BlbmVyLl9feHNzPTE8L3NjcmlwdD4=">data base64</a>`, url: `data:text/html;base64,PHNjcmlwdD5hbGVydCh7Tn0pPC9zY3JpcHQ+`},
	{name: "a-data-html-plain", html: `<a href="data:text/html,<script>alert({N})</script>">data plain</a>`, url: `data:text/html,<script>alert({N})</script>`},
	{name: "a-data-mixed-case", html: `<a href="DaTa:text/html,%3Cscript%3Ealert({N})%3C/script%3E">data mixed case</a>`, url: `DATA:text/html,<script>alert({N})</script>`},
	{name: "a-vbscript", html: `<a href="vbscript:msgbox({N})">vbscript</a>`, url: `vbscript:msgbox({N})`},
	{name: "svg-onload", html: `<svg onload="window.__xss={N}"><circle r="9"></circle></svg>`},
	{name: "svg-script", html: `<svg><script>window.__xss={N}</script></svg>`},
	{name: "svg-a-xlink", html: `<svg><a xlink:href="javascript:alert({N})"><text x="9" y="9">svg link</text></a></svg>`},
	{name: "math-mglyph-style", html: `<math><mtext><table><mglyph><style><img src=x onerror="window.__xss={N}">`},
	{name: "math-href", html: `<math href="javascript:alert({N})">math link</math>`},
	{name: "iframe-srcdoc", html: `<iframe srcdoc="<script>parent.__xss={N}</script>"></iframe>`},
	{name: "iframe-javascript", html: `<iframe src="javascript:parent.__xss={N}"></iframe>`},
	{name: "object-data", html: `<object data="javascript:window.__xss={N}"></object>`},
	{name: "embed-src", html: `<embed src="javascript:window.__xss={N}">`},
	{name: "form-action", html: `<form action="javascript:window.__xss={N}"><button>go</button></form>`},
	{name: "button-formaction", html: `<button formaction="javascript:alert({N})">formaction</button>`},
	{name: "style-import", html: `<style>@import 'javascript:window.__xss={N}'; body{background:url("javascript:alert({N})")}</style>`},
	{name: "style-attr-expression", html: `<p style="width: expression(window.__xss={N}); background:url('javascript:alert({N})')">style attribute</p>`},
	{name: "style-attr-cover", html: `<span class="h-card" style="position:fixed;inset:0;z-index:9" onmouseover="window.__xss={N}">page cover</span>`},
	{name: "meta-refresh", html: `<meta http-equiv="refresh" content="0;url=javascript:window.__xss={N}">`},
	{name: "meta-refresh-data", html: `<meta http-equiv="refresh" content="0;url=data:text/html,<script>alert({N})</script>">`},
	{name: "base-href", html: `<base href="javascript:window.__xss={N}//"><a href="x">relative</a>`},
	{name: "link-stylesheet", html: `<link rel="stylesheet" href="javascript:alert({N})">`},
	{name: "broken-nested-script", html: `<scr<script>ipt>window.__xss={N}</scr</script>ipt>`},
	{name: "attribute-breakout", html: `"><script>window.__xss={N}</script>`},
	{name: "attribute-breakout-single", html: `'><img src=x onerror=window.__xss={N}>`},
	{name: "textarea-breakout", html: `</textarea><script>window.__xss={N}</script>`},
	{name: "title-breakout", html: `</title><script>window.__xss={N}</script>`},
	{name: "comment-confusion", html: `<!--<img src="--><img src=x onerror=window.__xss={N}//">`},
	{name: "noscript-confusion", html: `<noscript><p title="</noscript><img src=x onerror=window.__xss={N}>"></noscript>`},
	{name: "template-injection", html: `{{.}}{{template "base" .}}{{printf "%s" "<script>window.__xss={N}</script>"}}<script>window.__xss={N}</script>`},
	{name: "details-ontoggle", html: `<details open ontoggle="window.__xss={N}"><summary>x</summary>y</details>`},
	{name: "input-autofocus", html: `<input autofocus onfocus="window.__xss={N}">`},
	{name: "body-onload", html: `<body onload="window.__xss={N}">`},
	{name: "video-source-onerror", html: `<video><source onerror="window.__xss={N}"></video>`},
	{name: "allowed-tag-handlers", html: `<a href="` + evil + `/ok" onclick="window.__xss={N}" onmouseover="window.__xss={N}" target="_blank" rel="opener">handlers on an allowed tag</a>`},
	{name: "href-quote-breakout", html: `<a href="` + evil + `/&quot; onmouseover=&quot;window.__xss={N}">quote in href</a>`,
		url: evil + `/" onmouseover="window.__xss={N}" x="`},
	{name: "img-srcset", html: `<img src="x:gif" srcset="javascript:alert({N})">`},
	{name: "xmp-plaintext", html: `<xmp><script>window.__xss={N}</script></xmp><plaintext><script>alert({N})</script>`},
	{name: "template-element", html: `<template><script>window.__xss={N}</script></template>`},
	{name: "unicode-escape-url", html: `<a href="\u006aavascript:alert({N})">unicode escape</a>`},
}

// mentionHTML is Mastodon's real markup for a mention and a hashtag; REMOTE
// is the fake instance's base URL. Both must stay links, with the blog's
// rel="nofollow ugc noopener".
const mentionHTML = `<p><span class="h-card" translate="no"><a href="REMOTE/@alice" class="u-url mention">@<span>alice</span></a></span> ` +
	`<span class="h-card" translate="no"><a href="REMOTE/@bob" class="u-url mention" rel="nofollow noopener" target="_blank">@<span>bob</span></a></span> ` +
	`great read! <a href="REMOTE/tags/fediverse" class="mention hashtag" rel="tag">#<span>fediverse</span></a> ` +
	`<a href="REMOTE/some/long/path" rel="nofollow noopener" translate="no" target="_blank"><span class="invisible">http://</span>` +
	`<span class="ellipsis">127.0.0.1/some/long</span><span class="invisible">/path</span></a></p>`

// fill puts the payload's number in place of {N}.
func fill(s string, n int) string {
	return strings.ReplaceAll(s, "{N}", strconv.Itoa(n))
}
