// Package browser drives the real fedpress binary with headless Chromium
// (chromedp), as a person would: first-run setup, writing and publishing an
// article with images, commenting as a reader, moderation, and an XSS
// corpus of remote replies that must run nothing in the browser.
//
// The tests need Debian's chromium (apt-get install chromium). Without it
// they are skipped, unless the environment variable CI is set (then they
// fail). They talk to loopback only: Chromium resolves no other host.
//
// FEDPRESS_SCREENSHOT_DIR, when set, receives a screenshot of the final
// article page for a person to look at.
package browser
