#!/usr/bin/env bash
# Create or update the project's virtual environment (.venv) from the package registries.
#
# Needs only Python >= 3.10 (as $PYTHON or python3) and network access to PyPI; uv is
# installed into the venv and does the rest. Extras to install are the arguments
# (default: dev test plot). Re-running is cheap: a stamp file records what was installed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
UV_VERSION=0.13.9
if [ $# -gt 0 ]; then extras=("$@"); else extras=(dev test plot); fi

if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
    echo "setup-env: $PYTHON is missing or older than 3.10; set PYTHON=/path/to/python3.10+" >&2
    exit 1
fi

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
if [ "$(.venv/bin/uv --version 2>/dev/null | cut -d' ' -f2)" != "$UV_VERSION" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi

# A stamp names the hash of the dependency files and the extras installed with them. Any stamp
# of the current hash whose extras include every requested one means nothing is to do, so
# `make test` (dev test plot) and `make docs` (dev test plot docs) do not undo each other.
deps_hash="$(cat pyproject.toml scripts/setup-env.sh | sha256sum | cut -c1-16)"
# Installing never removes packages, so the new stamp names the union of what was installed.
have="-"
for existing in .venv/.deps-"$deps_hash"-*; do
    [ -f "$existing" ] && have="$have${existing#.venv/.deps-"$deps_hash"-}-"
done
missing=()
for e in "${extras[@]}"; do
    case "$have" in *"-$e-"*) ;; *) missing+=("$e") ;; esac
done
if [ ${#missing[@]} -gt 0 ]; then
    extra_flags=()
    for e in "${extras[@]}"; do extra_flags+=(--extra "$e"); done
    .venv/bin/uv pip install --quiet --python .venv/bin/python -r pyproject.toml "${extra_flags[@]}"
    union=$(printf '%s\n' ${have//-/ } "${extras[@]}" | sort -u | paste -sd- -)
    rm -f .venv/.deps-*
    touch ".venv/.deps-$deps_hash-$union"
fi

# Rust components the checks use (no-op when present).
if command -v rustup >/dev/null 2>&1; then
    rustup component add rustfmt clippy >/dev/null 2>&1 || true
fi
