"""Type stubs of the Rust extension (internal: use creditsim.replay)."""

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
