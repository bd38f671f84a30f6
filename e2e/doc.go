// Package e2e holds Firebreak's end-to-end tests: the responder console
// served in-process on a temporary SQLite store with the demo incident,
// driven in real headless Chromium (Debian's chromium) through the DevTools
// protocol with chromedp.
//
// The tests sign in through the login form, read the demo incident's
// timeline, watch an entry added in one browser appear live in a second
// one, isolate an asset through its blast-radius confirmation, upload
// evidence and read its hash, check that a guest cannot reach an incident
// outside their scope, and check that a form error is shown next to its
// field. Every main page is also checked for console errors and Content
// Security Policy violations.
//
// One headless Chromium serves the package; each tab gets a browser context
// of its own (its own cookies), and the tests run in parallel.
//
// Without Chromium the tests skip, unless FIREBREAK_REQUIRE_ALL=1 (as in
// CI), when they fail. FIREBREAK_CHROMIUM names the browser binary when it
// is not chromium, chromium-browser or google-chrome in PATH.
//
// A failing test prints the page's URL, an excerpt of its HTML and what it
// logged, and saves a screenshot under FIREBREAK_E2E_ARTIFACTS (default:
// firebreak-e2e in the temporary directory).
//
// TestScreenshots writes the PNGs of docs/screenshots when
// FIREBREAK_SCREENSHOTS names a directory (make screenshots).
package e2e
