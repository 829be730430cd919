# sipbell: `make` builds for this machine, `make cross` for the Pis,
# `make test` is the one test command, `make run` starts a simulated door
# station on this machine, `make lint` checks style.

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# Cold packages are built without inlining (scripts/release-gcflags).
GCFLAGS  := $(foreach p,$(shell sed 's/\#.*//' scripts/release-gcflags),-gcflags=$(p)=-l)
BUILD    := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' $(GCFLAGS)
PKG      := ./cmd/sipbell
DIST     := dist
ARM6     := $(DIST)/sipbell-linux-armv6
ARM7     := $(DIST)/sipbell-linux-armv7
ARM64    := $(DIST)/sipbell-linux-arm64
EXAMPLE  := configs/sipbell.example.yaml
# Packages whose code differs per architecture (ioctl layouts): their tests
# also run under qemu-user on the Pi's CPUs.
ARCHPKGS  = $(shell $(GO) list ./audio/... ./board/... 2>/dev/null)
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Debian packages (make deb): nfpm, pinned (later versions need a module
# this proxy does not serve). The Debian version comes from git describe:
# v1.2.0-3-gabc -> 1.2.0+3.gabc; no tag yet -> 0.0~git.<describe>.
NFPM        := $(GO) run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
DEB_VERSION := $(shell scripts/deb-version.sh '$(VERSION)')
DEB_ARMHF   := $(DIST)/sipbell_$(DEB_VERSION)_armhf.deb
DEB_ARM64   := $(DIST)/sipbell_$(DEB_VERSION)_arm64.deb

.PHONY: all build cross test test-deps test-unit test-fuzz test-arm test-alsa test-gpio run lint clean deb test-deb test-scripts flash image image-amd64 image-check test-image test-image-raspi bench-aec bench
all: build

build:
	$(BUILD) -o sipbell $(PKG)

cross: $(ARM6) $(ARM7) $(ARM64)
	@ls -l $^

$(ARM6): FORCE
	GOOS=linux GOARCH=arm GOARM=6 $(BUILD) -o $@ $(PKG)
$(ARM7): FORCE
	GOOS=linux GOARCH=arm GOARM=7 $(BUILD) -o $@ $(PKG)
$(ARM64): FORCE
	GOOS=linux GOARCH=arm64 $(BUILD) -o $@ $(PKG)
FORCE:

# The one test command: first what the tests need (Debian packages with
# sudo when not root, kernels and modules, cached), then unit and interop
# tests with the race detector, then the ARM binaries and per-arch tests
# under qemu-user, the real kernels, the .deb and the images.
test: test-deps test-unit test-fuzz test-arm test-alsa test-gpio test-scripts test-deb test-image test-image-raspi

# audio/alsa against real kernel sound cores (snd-aloop) of amd64, arm64
# and armhf Debian kernels booted under qemu-system (kernels fetched by
# scripts/alsa-kernel-fetch.sh, which make test-deps runs).
test-alsa:
	scripts/alsa-kernel-test.sh amd64 arm64 armhf

# board's slic and rotary profiles on the real GPIO character device of arm64 and
# armhf Debian kernels under qemu-system (the same kernels), and the rpi (with
# a matrix keypad), slic and rotary profiles on those kernels' gpio-sim driver (built by
# scripts/gpiosim-build.sh, which make test-deps runs).
test-gpio:
	scripts/gpio-kernel-test.sh arm64 armhf
	scripts/gpiosim-test.sh amd64 arm64 armhf

test-deps:
	scripts/test-deps.sh

test-unit:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

# The SIP request-handling fuzzer (guard, parser, transactions, handlers of
# a running user agent) for a short time, in a network namespace with only
# loopback: the fuzzer makes up addresses a response could go to.
test-fuzz:
	unshare -rn sh -c 'ip link set lo up && $(GO) test -run=^$$ -fuzz=FuzzRequestHandling -fuzztime=10s ./ua/'

test-arm: cross
	scripts/test-arm.sh $(ARM6) $(ARM7) $(ARM64) $(EXAMPLE)
	@if [ -n "$(ARCHPKGS)" ]; then \
	  echo "== per-arch tests: armv6 (arm1176)"; \
	  GOOS=linux GOARCH=arm GOARM=6 CGO_ENABLED=0 $(GO) test -count=1 -exec 'qemu-arm-static -cpu arm1176' $(ARCHPKGS) && \
	  echo "== per-arch tests: arm64" && \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) test -count=1 -exec qemu-aarch64-static $(ARCHPKGS); \
	fi

# One .deb per Raspberry Pi OS architecture: armhf carries the ARMv6
# binary (32-bit Raspberry Pi OS runs on the Pi Zero/1 too), arm64 the
# ARM64 one. Contents: packaging/nfpm.yaml.
deb: $(ARM6) $(ARM64)
	rm -f $(DIST)/sipbell_*.deb
	gzip -9nc packaging/debian/changelog >$(DIST)/changelog.Debian.gz
	scripts/deb-config.sh $(EXAMPLE) $(DIST)/sipbell.yaml
	DEB_ARCH=armhf DEB_BINARY=$(ARM6) DEB_VERSION=$(DEB_VERSION) DEB_DIST=$(DIST) \
	  $(NFPM) package -p deb -f packaging/nfpm.yaml -t $(DEB_ARMHF)
	DEB_ARCH=arm64 DEB_BINARY=$(ARM64) DEB_VERSION=$(DEB_VERSION) DEB_DIST=$(DIST) \
	  $(NFPM) package -p deb -f packaging/nfpm.yaml -t $(DEB_ARM64)
	@ls -l $(DEB_ARMHF) $(DEB_ARM64)

# The packages' proof without a Pi: contents, unit verification, and an
# install / remove / purge of the arm64 package in a Debian arm64 root
# under proot + qemu-user (root cached in ~/.cache/sipbell).
test-deb: deb
	scripts/deb-check.sh $(DEB_ARMHF) $(DEB_ARM64)
	scripts/deb-install-test.sh $(DEB_ARM64)

# gokrazy SD-card image for the Pi 3/4/5 (arm64), built with monogok from
# gokrazy/rpi (its own Go module: gokrazy's kernel and firmware never enter
# go.mod here); image-amd64 is its twin for qemu. image-check looks inside
# both; test-image also boots the twin and talks SIP to it, and updates its
# firmware under qemu (gokrazy/updatetest: signed, unsigned, broken image).
IMG_RPI   := $(DIST)/sipbell-rpi.img
IMG_AMD64 := $(DIST)/sipbell-amd64.img
image:
	scripts/image.sh rpi $(IMG_RPI) '$(VERSION)' '$(COMMIT)'
image-amd64:
	scripts/image.sh amd64 $(IMG_AMD64) '$(VERSION)' '$(COMMIT)'
image-check:
	scripts/image-check.sh $(IMG_RPI) rpi
	@if [ -f $(IMG_AMD64) ]; then scripts/image-check.sh $(IMG_AMD64) amd64; fi
test-image: image image-amd64
	cd gokrazy && $(GO) vet ./... && SIPBELL_IMAGE_AMD64=$(abspath $(IMG_AMD64)) $(GO) test -race -count=1 -timeout 30m ./...
	scripts/image-check.sh $(IMG_RPI) rpi
	scripts/image-check.sh $(IMG_AMD64) amd64
	scripts/image-boot-test.sh $(IMG_AMD64)
# The rpi image itself on qemu's Raspberry Pi 3 machine (-M raspi3b): its
# kernel and device tree, USB networking; SIP OPTIONS and the web page.
test-image-raspi: image
	scripts/image-raspi-test.sh $(IMG_RPI)

# The install scripts' own tests: the config.txt helper on a stock
# config.txt, flash.sh's refusals and write on a loop device.
test-scripts:
	scripts/test-pi-audio-hat.sh
	scripts/test-flash.sh

# Writes the SD-card image to a card: make flash DEV=/dev/sdX. Refuses an
# empty, mounted or non-removable device and asks before writing. Never
# run by the tests.
IMAGE ?= $(IMG_RPI)
flash:
	scripts/flash.sh '$(IMAGE)' '$(DEV)'

run: build
	@mkdir -p .run && [ -f .run/sipbell.yaml ] || cp configs/run.yaml .run/sipbell.yaml
	./sipbell -config .run/sipbell.yaml -sip-listen 127.0.0.1:0 -sim-http 127.0.0.1:0

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

clean:
	rm -rf sipbell $(DIST)

# sipbell beside baresip (CPU, memory, latency, sizes) and the hot paths'
# go test -bench figures: a measurement, printed, never pass/fail.
bench:
	scripts/bench.sh

# The echo canceller against speexdsp's on espeak-ng speech in synthetic
# rooms, and its CPU per frame on amd64 and qemu-arm arm1176 (prints a
# table; needs espeak-ng, sox, gcc, libspeexdsp-dev, qemu-user-static).
bench-aec:
	scripts/aec-bench.sh
