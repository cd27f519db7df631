# Two commands: `make demo` (set up, build, read the bundled sample capture) and `make test`.
SWIFT ?= swift

.PHONY: setup build release demo demo-json test clean

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

clean:
	rm -rf .build
