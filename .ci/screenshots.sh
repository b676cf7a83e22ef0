#!/usr/bin/env bash
# Regenerates docs/html-overview.png and docs/html-account.png (the
# --html report of fixtures/leap_february) and docs/html-simulate.png (the
# simulate --html page of fixtures/simulate), shot by headless Chromium
# (Debian's `chromium` package).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --quiet
(cd fixtures/leap_february && ../../target/debug/creditsim replay --plans ../plans.example.csv \
    --as-of 2024-06-15T00:00:00Z --out "$work/out" --html "$work/html" events.csv >/dev/null)
(cd fixtures/simulate && ../../target/debug/creditsim simulate --plans plans.csv \
    --scenarios scenarios.toml --out "$work/sim" --html "$work/sim-html" events.csv >/dev/null)
shot() {
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,1800 \
        --screenshot="$2" "file://$work/$1" 2>/dev/null
}
shot html/index.html docs/html-overview.png
shot html/account-00001.html docs/html-account.png
shot sim-html/index.html docs/html-simulate.png
echo "wrote docs/html-overview.png docs/html-account.png docs/html-simulate.png"
