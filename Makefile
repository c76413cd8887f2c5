# herald: two commands set everything up on a fresh Debian machine.
#   make run    installs what is missing, builds Release, serves the demo on 127.0.0.1:8080
#   make test   installs what is missing, builds with ASan+UBSan, runs every test + a fuzz smoke
.PHONY: run test deps release asan fuzz fuzz-smoke unit e2e bench clean format install deb

JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 10
LISTEN ?= 127.0.0.1:8080
PREFIX ?= /usr/local

deps:
	@./scripts/install-deps

build/release/build.ninja:
	cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DHERALD_TESTS=OFF

release: deps build/release/build.ninja
	ninja -C build/release -j$(JOBS) herald

run: release
	@echo "herald: serving the demo on http://$(LISTEN)/  (Ctrl-C to stop)"
	./build/release/herald serve --listen $(LISTEN) --debug-echo

# Installs the Release binary, web assets, example config (kept if one exists) and systemd unit
# under PREFIX (DESTDIR for staging): make install PREFIX=/usr DESTDIR=/tmp/stage
install: release
	DESTDIR=$(DESTDIR) cmake --install build/release --prefix $(PREFIX)

# A Debian package of the Release build (cmake/packaging.cmake, docs/operations.md):
# build/release/herald_VERSION_ARCH.deb, installing under /usr with /etc/herald/herald.toml.
deb: release
	cd build/release && cpack -G DEB

build/asan/build.ninja:
	cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHERALD_SANITIZE=ON

asan: deps build/asan/build.ninja
	ninja -C build/asan -j$(JOBS)

build/fuzz/build.ninja:
	cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHERALD_FUZZ=ON \
	  -DCMAKE_CXX_COMPILER=clang++

fuzz: deps build/fuzz/build.ninja
	ninja -C build/fuzz -j$(JOBS) fuzz_targets

# Each fuzz target runs FUZZ_SECONDS on its seed corpus (tests/fuzz/corpus/<name>/) plus what
# it finds; longer by hand: make fuzz-smoke FUZZ_SECONDS=600
fuzz-smoke: fuzz
	./scripts/fuzz-smoke build/fuzz $(FUZZ_SECONDS)

unit: asan
	cd build/asan && ctest -L unit --output-on-failure -j$(JOBS)

e2e: asan
	cd build/asan && ctest -L e2e --output-on-failure

test: asan fuzz
	./scripts/check-format
	cd build/asan && ctest --output-on-failure -j$(JOBS) --timeout 900
	./scripts/fuzz-smoke build/fuzz $(FUZZ_SECONDS)

bench: release
	@echo "see bench/README.md"

format:
	find src tools tests -name '*.h' -o -name '*.cpp' | xargs clang-format -i

clean:
	rm -rf build
