# Two commands: `make demo` (set up, build, read the bundled sample capture) and `make test`.
SWIFT ?= swift

.PHONY: setup build release demo demo-json test fuzz-smoke clean

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

clean:
	rm -rf .build .build-fuzz
