#!/usr/bin/env bash
# The Python package's CI: a venv with maturin, pytest, pyarrow, Polars,
# DuckDB and PySpark (and "pandas<3", which its Arrow path imports) from
# PyPI (the Spark tests need Java 17 or later: `.ci/run` installs it);
# `cargo fmt --check` and clippy of python/; the package built and
# installed into the venv (debug build: `maturin develop`); the CLI and the
# input generator built, since the tests compare the package with them;
# then pytest. Run from anywhere: bash python/ci.sh
# CREDITSIM_VENV picks the venv (default: .venv at the repository's root).
set -euo pipefail
cd "$(dirname "$0")"
ROOT="$(cd .. && pwd)"
VENV="${CREDITSIM_VENV:-$ROOT/.venv}"

echo "== python: venv $VENV and packages"
python3 --version
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "maturin>=1.7,<2" pytest pyarrow polars duckdb pyspark "pandas<3"
# shellcheck disable=SC1091
. "$VENV/bin/activate"

echo "== python: cargo fmt --check, cargo clippy -- -D warnings"
cargo fmt --check
PYO3_PYTHON="$VENV/bin/python" cargo clippy --quiet --all-targets -- -D warnings

echo "== python: the CLI and the generator the tests compare with"
(cd "$ROOT" && cargo build --quiet --bin creditsim --example generate)

echo "== python: maturin develop (build the extension into the venv)"
maturin develop --quiet

echo "== python: pytest"
python -m pytest -q tests
