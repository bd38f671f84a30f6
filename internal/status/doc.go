// Package status is Firebreak's public plane: it renders the public status
// page, its Statuspage-compatible JSON API and its Atom and RSS feeds from a
// Page into an immutable Snapshot, serves a Snapshot over HTTP, and exports
// one as static files.
//
// # What it reads
//
// Page is the public projection of the incident record and the package's
// only input. It has fields for component names and statuses, public
// incidents and their published updates, maintenances and the alternative
// support channels — and none for timeline events, notes, indicators,
// findings, tasks, assets or evidence, so internal fields cannot reach the
// public plane by construction: whoever builds a Page must copy each public
// field on purpose. The package imports internal/incident only for the
// ServiceStatus enumeration.
//
// # Rendering and serving
//
// Render(page, now) validates the page and renders every path once (see
// Render for the list). Each Entry holds its bytes, gzip bytes (when
// smaller), a strong ETag, its content type and Cache-Control: short
// (max-age=30, with stale-while-revalidate and stale-if-error so a CDN
// keeps serving when the origin is down) for pages, JSON and feeds;
// immutable for the content-hashed stylesheet and script.
//
// Server serves the current Snapshot from an atomic pointer; Swap publishes
// a new one. Per request it only looks the path up and writes prepared
// bytes and headers: GET and HEAD only (405 otherwise), exact paths (the
// snapshot's 404 page otherwise), If-None-Match → 304, gzip when accepted
// (Vary: Accept-Encoding), and a strict CSP with no inline script or style.
//
// # Top-level status
//
// status.indicator and status.description follow Statuspage's top-level
// status rule, computed from the components (see OverallStatus): all
// components in major outage → critical "Major System Outage"; some → major
// "Partial System Outage"; all in partial outage → major "Partial System
// Outage"; some → minor "Minor Service Outage"; all degraded → minor
// "Degraded System Service"; some → minor "Partially Degraded Service"; any
// under maintenance → maintenance "Service Under Maintenance"; else none
// "All Systems Operational". An unresolved incident's impact and a
// maintenance under way can only raise it. An incident without a declared
// impact gets Statuspage's derived one: the worst component status its
// updates set (major outage → critical, partial → major, degraded → minor).
//
// # Uptime
//
// Each component shows 90 bars, one per UTC day ending today. A day's
// colour is the worst status the component held that day, at any moment;
// days before the component existed show "no data". The percentage over
// the 90 days is 100 × (1 − (major + 0.3 × partial) / observed), as
// Statuspage's uptime showcase counts it: a minute of major outage is a
// minute down, a minute of partial outage 0.3 of one, degraded performance
// and maintenance are not downtime, and observed time starts at the
// component's creation. It is rounded down to two decimals so that any
// downtime shows below 100%.
//
// # Static export
//
// Export(snapshot, dir) writes the same bytes as files: "/" is index.html,
// /history is history.html, /incidents/{id} is incidents/{id}.html, the
// JSON under api/v2/, the feeds, the assets and 404.html. Every link in the
// HTML is relative and names a file (index.html, history.html,
// incidents/{id}.html, ../index.html from an incident page), so the export
// works from any static host, an object store, a subdirectory or file://;
// the server answers both the clean paths and the .html ones. The new tree
// is written to a temporary sibling and renamed into place; Export refuses
// to replace a directory that is neither empty nor a previous export.
//
// To publish it from a bucket off the company's own infrastructure, sync
// the directory after each export:
//
//	aws s3 sync DIR s3://status-bucket --delete \
//	    --cache-control "public, max-age=30, stale-if-error=86400"
//	aws s3 cp DIR/history.atom s3://status-bucket/history.atom --content-type application/atom+xml
//	aws s3 cp DIR/history.rss s3://status-bucket/history.rss --content-type application/rss+xml
//
// (add --endpoint-url https://… for any S3-compatible store), or with MinIO's
// client:
//
//	mc mirror --overwrite --remove DIR alias/status-bucket
//
// Configure the bucket's website hosting with index document index.html
// and error document 404.html. A bucket sends no CSP header; the pages
// still load only their own files, so add the policy at the CDN if it can
// (the CSP constant) — the page works either way.
package status
