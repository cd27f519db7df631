# Two commands: `make demo` (set up, build, read the bundled sample capture) and `make test`.
SWIFT ?= swift

.PHONY: setup build release demo demo-json test fuzz-smoke deb test-packaging clean

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

demo: build
	$(SWIFT) run --skip-build mitmwatch read samples/demo.pcap

demo-json: build
	$(SWIFT) run --skip-build mitmwatch read --format json samples/demo.pcap

test: setup
	$(SWIFT) test

# Each libFuzzer target (Sources/Fuzz) for FUZZ_SECONDS, from the committed seeds (see Fuzz/README.md).
FUZZ_SECONDS ?= 20
fuzz-smoke: setup
	scripts/fuzz.sh FuzzCertificate $(FUZZ_SECONDS)
	scripts/fuzz.sh FuzzTLSHandshake $(FUZZ_SECONDS)
	scripts/fuzz.sh FuzzPacket $(FUZZ_SECONDS)
	scripts/fuzz.sh FuzzConfig $(FUZZ_SECONDS)
	scripts/fuzz.sh FuzzCaptureFile $(FUZZ_SECONDS)

# build/mitmwatch_VERSION_ARCH.deb: static-stdlib release build (.build-deb), unit, logrotate, man page.
deb: setup
	scripts/make-deb.sh

# Unit hardening score and verify, then builds, installs (dpkg -i), runs and removes the .deb.
# Installs a system package: for CI machines and sandboxes.
test-packaging: setup
	scripts/test-packaging.sh

clean:
	rm -rf .build .build-fuzz .build-deb build
