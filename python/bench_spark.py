"""Times creditsim.spark.replay in Spark local[2] (benches/README.md,
"Spark"): the replay of DIR/events.parquet (written from DIR/events.csv
when missing) and write_reports, wall time, for each partition count; the
files are compared with the CLI's.

    python python/bench_spark.py DIR [CLI] [PARTITIONS...]

DIR holds events.csv and plans.csv (examples/generate); CLI defaults to
target/release/creditsim; PARTITIONS to 2 4.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as csv
import pyarrow.parquet as pq
from pyspark.sql import SparkSession

from creditsim import spark as cspark

COLUMNS = ["time", "account", "event", "plan", "provider", "operation", "task", "credits"]
FILES = ["balances.csv", "ledger.csv", "statements.csv", "rejections.csv", "summary.json"]


def main() -> None:
    folder = Path(sys.argv[1]).resolve()
    cli = str(Path(sys.argv[2] if len(sys.argv) > 2 else "target/release/creditsim").resolve())
    counts = [int(a) for a in sys.argv[3:]] or [2, 4]
    plans = str(folder / "plans.csv")
    parquet = folder / "events.parquet"
    if not parquet.exists():
        table = csv.read_csv(
            folder / "events.csv",
            convert_options=csv.ConvertOptions(
                column_types={c: pa.string() for c in COLUMNS}, strings_can_be_null=False
            ),
        )
        pq.write_table(table, parquet)
    with tempfile.TemporaryDirectory() as work:
        expected = Path(work) / "cli"
        start = time.perf_counter()
        subprocess.run(
            [cli, "replay", "--plans", plans, "--out", str(expected), "events.parquet"],
            cwd=folder,
            check=True,
            capture_output=True,
        )
        print(f"cli on events.parquet: {time.perf_counter() - start:.2f} s")
        spark = (
            SparkSession.builder.master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        for partitions in counts:
            out = Path(work) / f"spark{partitions}"
            start = time.perf_counter()
            df = spark.read.parquet(str(parquet))
            reports = cspark.replay(df, plans, partitions=partitions, name="events.parquet")
            replayed = time.perf_counter() - start
            cspark.write_reports(reports, out)
            total = time.perf_counter() - start
            same = all((out / f).read_bytes() == (expected / f).read_bytes() for f in FILES)
            print(
                f"spark local[2], {partitions} partitions: replay {replayed:.1f} s, "
                f"with write_reports {total:.1f} s, files identical to the CLI's: {same}"
            )
        spark.stop()


if __name__ == "__main__":
    main()
