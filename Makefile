# The project's entry points. `make demo` and `make test` work on a fresh clone with only
# Python >= 3.10, a Rust toolchain and make installed: they create .venv themselves.

VENV := .venv
PY := $(VENV)/bin/python
CARGO ?= cargo

.PHONY: env build demo test test-rust test-python test-slow lint bench clean

env:
	@scripts/setup-env.sh dev test plot

# Release build of the extension, installed into .venv in editable mode.
build: env
	@$(VENV)/bin/maturin develop --release --uv --quiet 2>&1 | grep -v -e '^📦' -e '^✏️' -e '^🛠' || true
	@$(PY) -c "import oineus_diff" || (echo "build failed" >&2; exit 1)

demo: build
	$(PY) examples/demo_circle.py

test: build test-rust lint test-python

test-rust:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --quiet -- -D warnings
	$(CARGO) test -p oineus_diff_core --quiet
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc -p oineus_diff_core --no-deps --quiet
	@if $(CARGO) tree -p oineus_diff_core -e normal --prefix none | grep -E '^(pyo3|numpy) '; then \
		echo "oineus_diff_core must not depend on pyo3 or numpy" >&2; exit 1; fi

lint: env
	$(VENV)/bin/ruff check oineus_diff tests examples benchmarks
	$(VENV)/bin/ruff format --check oineus_diff tests examples benchmarks
	$(VENV)/bin/mypy
	$(PY) -m mypy.stubtest oineus_diff._core

test-python: build
	$(PY) -m pytest -q

test-slow: build
	$(PY) -m pytest -q -m "slow"

bench: build
	@scripts/setup-env.sh dev test plot bench
	$(PY) benchmarks/bench_vr.py
	$(PY) benchmarks/bench_grid.py
	$(PY) benchmarks/bench_distances.py
	$(PY) benchmarks/bench_critsets.py
	$(PY) benchmarks/bench_alpha.py
	$(PY) benchmarks/run.py

clean:
	rm -rf target $(VENV) oineus_diff/_core*.so
