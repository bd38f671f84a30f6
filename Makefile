# Firebreak. `make run` serves the demo; `make test` runs the whole suite.
GO      ?= go
BIN     := bin/firebreak
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/firebreak-ir/firebreak/internal/cli.Version=$(VERSION)

.PHONY: build run test test-short lint fuzz bench screenshots clean

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/firebreak

# Serves the console on http://127.0.0.1:8080 and the public status page on
# http://127.0.0.1:8081 with the demo incident, on
# SQLite in ./data. The first start prints the admin password (or set
# FIREBREAK_ADMIN_PASSWORD).
run: build
	./$(BIN) serve --demo --public-addr 127.0.0.1:8081

# The whole suite, with the race detector. Suites that need PostgreSQL run
# when FIREBREAK_TEST_POSTGRES holds a DSN; with FIREBREAK_REQUIRE_ALL=1
# (as in CI) a missing one fails instead of skipping. The browser tests
# (./e2e) need headless Chromium (Debian's chromium, or FIREBREAK_CHROMIUM)
# in the same way.
test: lint
	$(GO) test -race -count=1 ./...

test-short:
	$(GO) test -short -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null 2>&1; then staticcheck ./...; \
	  else echo "staticcheck not installed; skipped (CI installs it)"; fi

# Short runs of every fuzz target.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=10s $$pkg || exit 1; \
	  done; done

# PNGs of the console's main pages for the README, from the demo incident
# in headless Chromium.
screenshots:
	FIREBREAK_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run '^TestScreenshots$$' -v ./e2e

bench:
	bash bench/appends.sh

clean:
	rm -rf bin
