#!/usr/bin/env bash
# Regenerates docs/html-overview.png and docs/html-account.png: the
# --html report of fixtures/leap_february, shot by headless Chromium (Debian's
# `chromium` package).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --quiet
(cd fixtures/leap_february && ../../target/debug/creditsim replay --plans ../plans.example.csv \
    --as-of 2024-06-15T00:00:00Z --out "$work/out" --html "$work/html" events.csv >/dev/null)
shot() {
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,1800 \
        --screenshot="$2" "file://$work/html/$1" 2>/dev/null
}
shot index.html docs/html-overview.png
shot account-00001.html docs/html-account.png
echo "wrote docs/html-overview.png docs/html-account.png"
