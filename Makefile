# Clinic Portal — the two commands are `make run` and `make test` (README.md).
SWIFT       ?= swift
SWIFT_FLAGS ?=
SUDO        := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
# Debian packages the portal needs to build, run and test.
DEB_PACKAGES := pkg-config libpq-dev libargon2-dev postgresql postgresql-contrib tzdata
# What the fault and scale-out tests drive the portal with (Tests/faults/).
TEST_PACKAGES := nginx curl python3
BENCH_PACKAGES := nginx wrk

.PHONY: run test faults proof bench deps build-release clean

# Installs only what is missing (apt-get as root, else through sudo).
define install_missing
	@missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing missing Debian packages:$$missing"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

deps:
	$(call install_missing,$(DEB_PACKAGES))

build-release: deps
	$(SWIFT) build -c release $(SWIFT_FLAGS)

## make run: build, start the private PostgreSQL under .data/ (unless DATABASE_URL is set),
## migrate, seed demo data on first start, serve on http://127.0.0.1:8080.
run: build-release
	.build/release/clinic serve --seed-demo

## make test: the same set-up, then every test. Database tests start their own throwaway
## PostgreSQL (Sources/TestSupport) and stop it when the run ends; then the browser tests
## (Tests/e2e: installs Chromium and a Python venv under .build/), the fault and scale-out tests
## (Tests/faults) and the attack tools (Tests/e2e attack mode). About 12 minutes on 2 cores.
test: deps
	$(call install_missing,$(TEST_PACKAGES))
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	$(SWIFT) test --skip-build $(SWIFT_FLAGS)
	Tests/e2e/run.sh .build/debug/clinic flows
	CLINIC_BIN=.build/debug/clinic Tests/faults/run.sh
	Tests/e2e/run.sh .build/debug/clinic attack

## make faults: only the fault tests of make test: PostgreSQL restarted, SIGKILL and SIGTERM under
## booking load, two processes behind nginx (Tests/faults, about a minute, loopback only).
faults: deps
	$(call install_missing,$(TEST_PACKAGES))
	$(SWIFT) build --product clinic $(SWIFT_FLAGS)
	CLINIC_BIN=.build/debug/clinic Tests/faults/run.sh

## make proof: only the attack tools of make test, written by others (slowhttptest, wapiti, sqlmap),
## against a local instance behind a TLS proxy, loopback only and bounded in time (about 5 minutes).
proof: deps
	$(SWIFT) build --product clinic $(SWIFT_FLAGS)
	Tests/e2e/run.sh .build/debug/clinic attack

## make bench: release build, measured side by side with nginx and pgbench baselines.
bench: deps
	$(call install_missing,$(BENCH_PACKAGES))
	$(SWIFT) build -c release $(SWIFT_FLAGS)
	Tests/bench/run.sh

clean:
	rm -rf .build
