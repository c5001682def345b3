# arus — top-level entry points. `make run` and `make test` work on a fresh Debian 12 machine (as
# root): both install what is missing through scripts/setup-deps.sh first.
BUILD ?= build
BUILD_TYPE ?= Release
ARUS := $(BUILD)/apps/arus/arus
RUNS := out/runs

.PHONY: all deps configure build run test bench clean

all: build

deps:
	@bash scripts/setup-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD)

# The main job on the built-in example data: `arus run --config examples/demo.toml` (data ->
# quality -> features -> walk-forward training -> backtest -> report) into out/runs/.
run: build
	@bash scripts/demo.sh $(ARUS) $(RUNS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j 2 --timeout 600

bench: build
	@bash scripts/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) out
