# Clinic Portal — the two commands are `make run` and `make test`.
SWIFT        ?= swift
SWIFT_FLAGS  ?=
RELEASE_BIN  := .build/release/clinic
DEBUG_BIN    := .build/debug/clinic

.PHONY: run test bench deps build build-release clean stop-strays

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

build-release: deps
	$(SWIFT) build -c release $(SWIFT_FLAGS)

## make run: install what is missing, build, start the private PostgreSQL under .data/
## (unless DATABASE_URL is set), migrate, seed demo data on first start, serve on :8080.
run: build-release
	$(RELEASE_BIN) serve --seed-demo

## make test: the same set-up, then every test against a throwaway PostgreSQL started by the run.
test: deps
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	scripts/run-tests.sh

## make bench: release build against nginx and pgbench baselines, printed side by side.
bench: deps
	@scripts/install-deps.sh nginx wrk
	$(SWIFT) build -c release $(SWIFT_FLAGS)
	scripts/bench.sh

clean:
	rm -rf .build
