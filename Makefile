# Anjungan — build, run and test.
#   make run    build and start registry-sim, printerd and station on their embedded defaults
#   make run-fleet  PostgreSQL under var/fleet/pg, the fleet hub and three kiosks that print and suffer faults
#   make test   install missing test peers (as root), then the whole test suite
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)
GO ?= go
BIN := var/bin
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

# Debian packages: what building needs (cgo for PC/SC) and what the tests talk to (see docs/testing.md).
# poppler-utils: the kiosk preview and the card printers' raster come from pdftoppm.
BUILD_DEBS := libpcsclite-dev pkg-config gcc poppler-utils espeak-ng opus-tools
TEST_DEBS := $(BUILD_DEBS) dpkg-dev lintian systemd init-system-helpers cage strace pcscd vsmartcard-vpcd pcsc-tools poppler-utils zbar-tools cups-ipp-utils dbus chromium fonttools fonts-dejavu-core postgresql

# In CI a missing peer is a failure, not a skip.
ifneq ($(CI),)
export ANJUNGAN_REQUIRE_PEERS := 1
endif

.PHONY: all build run run-fleet test-fleet test test-card test-crash lint bench fuzz deps-build deps-test clean deb

all: build

deps-build:
	@.ci/debs $(BUILD_DEBS)

deps-test:
	@.ci/debs $(TEST_DEBS)

build: deps-build
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/...

# The Debian package var/anjungan_VERSION_amd64.deb (internal/deb): the
# programs built stripped and position-independent, the version from git
# describe made Debian-valid.
DEB_BIN := var/deb/bin
deb: deps-build
	@mkdir -p $(DEB_BIN)
	$(GO) build -trimpath -buildmode=pie -ldflags='-s -w' -o $(DEB_BIN)/ ./cmd/...
	$(GO) run ./internal/deb/mkdeb -describe "$$(git describe --tags --always --dirty)" -bin $(DEB_BIN) -out var -doc docs/operations.md

run: build
	$(BIN)/anjunganctl dev -var var -bin $(BIN)

# A fleet on one machine (docs/fleet.md): needs postgresql (make deps-test installs it).
run-fleet: build
	$(BIN)/anjunganctl dev -fleet -var var -bin $(BIN)

# The fleet's end-to-end tests with a long offline day (2,000 jobs) instead of make test's sample.
test-fleet: deps-test
	ANJUNGAN_FLEET_LONG=1 ANJUNGAN_REQUIRE_PEERS=1 $(GO) test -race -count=1 -timeout 30m -run 'Fleet' -v ./cmd/internal/e2e/

# One test binary at a time (-p 1): the suites talk to machine-wide peers
# (one pcscd, Chromium) and load both cores under -race; run side by side,
# a browser test can starve.
# ANJUNGAN_CRASH=1: the crash suite (printerd/crashtest) on a deterministic
# sample of its kill and fault points (every 4th and 6th, and the calls where
# a WAL checkpoint ends and the WAL starts over); `make test-crash` runs them all.
test: deps-test
	$(GO) vet ./...
	ANJUNGAN_CRASH=1 $(GO) test -race -count=1 -p 1 ./...

# e-KTP login in Chromium through the real pcscd and a virtual card.
test-card: deps-test
	ANJUNGAN_REQUIRE_PEERS=1 $(GO) test -race -count=1 -run BrowserCard -v ./cmd/internal/e2e/

# printerd killed, and its journal's writes failed with EIO/ENOSPC, at every
# syscall of the submission and dispatch path: the full matrix (ptrace fault
# injection, printerd/crashtest/internal/sysinject).
test-crash: deps-test
	ANJUNGAN_CRASH=full $(GO) test -count=1 -timeout 40m -v ./printerd/crashtest/

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) run $(STATICCHECK) ./...

# Every benchmark, each for BENCHTIME (go test's -benchtime: 1s, or 3x for
# three iterations); the slow ones with the fixed count that makes their
# ratios stable. The figures and their anchors are in docs/performance.md.
BENCHTIME ?= 1s
bench:
	$(GO) test -run '^$$' -bench . -skip 'RenderKKChromium|CetakToPreview|FleetDay' -benchmem -p 1 -benchtime $(BENCHTIME) ./...
	$(GO) test -run '^$$' -bench 'RenderKKChromium' -benchtime 30x ./station/render/
	$(GO) test -run '^$$' -bench 'CetakToPreview' -benchtime 40x ./cmd/internal/e2e/
	$(GO) test -run '^$$' -timeout 30m -bench 'FleetDay' -benchtime 1x ./cmd/internal/fleethub/

# Each fuzz target runs for FUZZTIME; the corpus in testdata/fuzz is checked in.
# Minimising each new input gets FUZZMINIMIZETIME: go test's default (60s)
# is longer than FUZZTIME, so a slow target (FuzzRender) spent its whole
# budget minimising its first find (7 executions in 20s; 7000 with 5s).
FUZZTIME ?= 20s
FUZZMINIMIZETIME ?= 5s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) $$pkg; \
	  done; done

clean:
	rm -rf $(BIN)
