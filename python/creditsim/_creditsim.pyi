"""Type stubs of the Rust extension (internal: use creditsim.replay and
creditsim.spark.replay)."""

from typing import Any, List, Optional, Tuple

class ReplayError(ValueError): ...

def replay_bytes(
    events: List[Tuple[str, Any]],
    plans: str,
    rules: Optional[str],
    as_of: Optional[str],
    task_window: str,
    keep_going: bool,
) -> Tuple[bytes, bytes, bytes, bytes, bytes]:
    """The bytes of balances.csv, ledger.csv, statements.csv,
    rejections.csv and summary.json, as `creditsim replay --out` writes them."""

# The executors' side of creditsim.spark (see src/spark.rs).

def as_of_key(text: str) -> Tuple[int, int]:
    """(seconds, nanoseconds) of an `--as-of` text."""

def check_schema(name: str, batch: Any) -> None:
    """Raises ReplayError when a batch's columns are not an events file's."""

def combine_summaries(parts: List[str], accounts: int) -> str:
    """summary.json of the partitions' summary records."""

class RowTimes:
    """Each row's time as the crate reads it."""

    def __init__(self, plans: str, rules: Optional[str]) -> None: ...
    def times(self, batch: Any) -> Any:
        """A batch of `_ts`, `_tn` (null for a malformed row)."""

class PartitionReplay:
    """One engine over a partition's batches (see creditsim/spark.py)."""

    def __init__(
        self,
        names: List[str],
        plans: str,
        rules: Optional[str],
        as_of: Optional[Tuple[int, int]],
        task_window: str,
        keep_going: bool,
    ) -> None: ...
    def feed(self, batch: Any) -> Any:
        """The keyed report rows of one batch."""
    def finish(self) -> Any:
        """The last roll-overs, balances, statements and summary rows."""
