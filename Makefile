# The project's entry points. `make demo` and `make test` work on a fresh clone with only
# Python >= 3.10, a Rust toolchain and make installed: they create .venv themselves.

VENV := .venv
PY := $(VENV)/bin/python
CARGO ?= cargo

.PHONY: env build demo test test-rust test-python test-browser test-slow lint docs notebooks bench clean

env:
	@scripts/setup-env.sh dev test plot

# Release build of the extension, installed into .venv in editable mode.
build: env
	@$(VENV)/bin/maturin develop --release --uv --quiet 2>&1 | grep -v -e '^📦' -e '^✏️' -e '^🛠' || true
	@$(PY) -c "import oineus_diff" || (echo "build failed" >&2; exit 1)

demo: build
	$(PY) examples/demo_circle.py

test: build test-rust lint test-python test-browser docs

test-rust:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --quiet -- -D warnings
	$(CARGO) test -p oineus_diff_core --quiet
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc -p oineus_diff_core --no-deps --quiet
	@if $(CARGO) tree -p oineus_diff_core -e normal --prefix none | grep -E '^(pyo3|numpy) '; then \
		echo "oineus_diff_core must not depend on pyo3 or numpy" >&2; exit 1; fi

lint: env
	$(VENV)/bin/ruff check oineus_diff tests examples benchmarks notebooks docs/conf.py
	$(VENV)/bin/ruff format --check oineus_diff tests examples benchmarks notebooks docs/conf.py
	$(VENV)/bin/mypy
	$(PY) -m mypy.stubtest oineus_diff._core

test-python: build
	$(PY) -m pytest -q

# The live monitor in JupyterLab, driven by Playwright in the system's headless Chromium (the
# Debian package, installed here when missing; Playwright downloads no browser). Under 3 minutes.
test-browser: build
	@scripts/setup-env.sh dev test plot browser
	@command -v chromium >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	timeout -k 10 180 $(PY) -m pytest -q -m browser tests/test_monitor_browser.py

test-slow: build
	$(PY) -m pytest -q -m "slow"

# The user guide, tutorials (notebooks/ with their stored outputs) and API reference, built
# offline with warnings as errors into docs/_build/html.
docs: build
	@scripts/setup-env.sh dev test plot docs
	$(VENV)/bin/sphinx-build -W --keep-going -q -b html docs docs/_build/html

# Re-execute every notebook and store its outputs (what the docs show); commit the result.
notebooks: build
	$(PY) scripts/run-notebooks.py

bench: build
	@scripts/setup-env.sh dev test plot bench
	$(PY) benchmarks/bench_vr.py
	$(PY) benchmarks/bench_grid.py
	$(PY) benchmarks/bench_distances.py
	$(PY) benchmarks/bench_critsets.py
	$(PY) benchmarks/bench_alpha.py
	$(PY) benchmarks/bench_monitor.py
	$(PY) benchmarks/run.py

clean:
	rm -rf target $(VENV) oineus_diff/_core*.so docs/_build
