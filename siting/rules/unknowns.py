"""What a rule does not know, said one way: the rows it cannot judge, listed by id with the reason.

The verdict contract (docs/VERDICTS.md): a value a verdict depends on that is missing never
counts as 0, as 'no' or as 'far away'. Rules bound what they cannot see and list every row
they could not judge, so that no facility or project leaves a check without a word.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

#: How many ids a reason or note names before it says 'and N more'.
LIMIT = 10


def listing(ids: Iterable[Any], limit: int = LIMIT) -> str:
    """``'a, b, c'``, or ``'a, b, ... and 7 more'`` past ``limit``."""
    items = [str(i) for i in ids]
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


def ids_where(frame: pd.DataFrame, mask: Any, limit: int = LIMIT) -> str:
    """The ids of the rows of ``frame`` selected by the boolean ``mask``, listed."""
    return listing(frame["id"].astype(str).to_numpy()[np.asarray(mask, dtype=bool)], limit)


def undetermined_note(maybe: pd.DataFrame, limit: int = LIMIT) -> str:
    """'3 row(s) may or may not be meant by the rule (owner_kind unknown): a (owner_kind), ...'."""
    items = [f"{i} ({u} unknown)" for i, u in zip(maybe["id"].astype(str), maybe["unknown"].astype(str))]
    return (f"{len(maybe)} row(s) may or may not be meant by the rule, a filtered field being unknown: "
            f"{listing(items, limit)}; state it (e.g. an owner_kind column) to judge them")


def absent_sources(origins: list[str], ctx: Any) -> list[str]:
    """The sources among ``origins`` ('facilities', 'projects') the inputs do not have."""
    return [o for o in origins if getattr(ctx, o) is None]


def located_rows(frame: pd.DataFrame) -> np.ndarray:
    """True where a row has both coordinates (finite ``lon`` and ``lat``)."""
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(float)
    return np.isfinite(lon) & np.isfinite(lat)
