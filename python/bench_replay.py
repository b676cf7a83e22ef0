"""Times creditsim.replay on a pyarrow Table against `creditsim replay` on
the same rows (benches/README.md, "Python"). Reading the CSV into the
Table is not timed: the Table is what a notebook holds.

    python python/bench_replay.py DIR [CLI] [RUNS]

DIR holds events.csv and plans.csv (examples/generate); CLI defaults to
target/release/creditsim. Prints each run's seconds and the medians.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as csv
import pyarrow.parquet as pq

import creditsim
from creditsim import _creditsim

COLUMNS = ["time", "account", "event", "plan", "provider", "operation", "task", "credits"]


def main() -> None:
    folder = Path(sys.argv[1])
    cli = sys.argv[2] if len(sys.argv) > 2 else "target/release/creditsim"
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    plans = folder / "plans.csv"
    table = csv.read_csv(
        folder / "events.csv",
        convert_options=csv.ConvertOptions(
            column_types={c: pa.string() for c in COLUMNS}, strings_can_be_null=False
        ),
    )
    parquet = folder / "events.parquet"
    if not parquet.exists():
        pq.write_table(table, parquet)
    print(f"{table.num_rows} rows, {table.nbytes / 1e6:.0f} MB in the Table")
    times: dict = {"python": [], "bytes only": [], "cli csv": [], "cli parquet": []}
    for _ in range(runs):
        start = time.perf_counter()
        reports = creditsim.replay(table, plans)
        times["python"].append(time.perf_counter() - start)
        assert reports.summary["rows"] == table.num_rows
        del reports
        # The replay alone, the reports left as CSV bytes (no pyarrow parse).
        start = time.perf_counter()
        raw = _creditsim.replay_bytes([("events", table)], str(plans), None, None, "24h", False)
        times["bytes only"].append(time.perf_counter() - start)
        del raw
        for label, events in [("cli csv", folder / "events.csv"), ("cli parquet", parquet)]:
            with tempfile.TemporaryDirectory() as out:
                start = time.perf_counter()
                subprocess.run(
                    [cli, "replay", "--plans", str(plans), "--out", out, str(events)],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
                times[label].append(time.perf_counter() - start)
        print({k: round(v[-1], 2) for k, v in times.items()}, flush=True)
    medians = {k: statistics.median(v) for k, v in times.items()}
    print("medians:", {k: round(v, 2) for k, v in medians.items()})
    print(f"python / cli csv: {medians['python'] / medians['cli csv']:.2f}x")
    print(f"python / cli parquet: {medians['python'] / medians['cli parquet']:.2f}x")


if __name__ == "__main__":
    main()
