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
    """The sources among ``origins`` ('facilities', 'projects', 'hospitals') the inputs do not have.

    Hospitals come from the hospitals file or the hospital rows of the facility file: they are
    absent only when both files are.
    """
    return [o for o in origins if getattr(ctx, o) is None and not (o == "hospitals" and ctx.facilities is not None)]


def states_count(states: Any) -> tuple[int, int, int]:
    """(yes, no, unknown) among three-valued states (True, False, None)."""
    values = list(states)
    yes = sum(v is True for v in values)
    no = sum(v is False for v in values)
    return yes, no, len(values) - yes - no


def bounded_share(sure: Any, maybe: Any) -> tuple[float, float]:
    """The lowest and highest share of 'yes' among rows whose state may be unknown (None).

    ``sure`` are the states of the rows a rule surely means, ``maybe`` those of rows it may or
    may not mean. Lowest: every unknown is 'no', and every optional row that could be 'no' is
    taken in; highest: every unknown is 'yes', and only optional rows that could be 'yes' are
    taken in. NaN where no row need be counted at all.
    """
    yes, no, unknown = states_count(sure)
    m_yes, m_no, m_unknown = states_count(maybe)
    n = yes + no + unknown
    low_den, high_den = n + m_no + m_unknown, n + m_yes + m_unknown
    low = yes / low_den if low_den else float("nan")
    high = (yes + unknown + m_yes + m_unknown) / high_den if high_den else float("nan")
    return low, high


def three_valued_and(parts: list[Any], n: int) -> np.ndarray:
    """Element-wise AND of three-valued state arrays: False wins, then None (unknown), then True."""
    out = np.full(n, True, dtype=object)
    for part in parts:
        for i, v in enumerate(part):
            if v is False or out[i] is False:
                out[i] = False
            elif v is None:
                out[i] = None
    return out


def located_rows(frame: pd.DataFrame) -> np.ndarray:
    """True where a row has both coordinates (finite ``lon`` and ``lat``)."""
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(float)
    return np.isfinite(lon) & np.isfinite(lat)


def settle(res: Any, open_: list[str], failed: bool, note_prefix: str | None = None) -> None:
    """A rule's verdict once its failures and its open questions are known (the verdict contract).

    ``failed``: some subject surely fails, so the rule fails and the open questions become notes
    (one note ``note_prefix`` + the questions joined by '; ' when a prefix is given, else one note
    each). Otherwise open questions make the rule not_evaluable, naming them in its reason; with
    none, ``res.status`` stays as it is.
    """
    if failed:
        res.status = "fail"
        if note_prefix is None:
            res.notes += open_
        elif open_:
            res.notes.append(note_prefix + "; ".join(open_))
    elif open_:
        res.status, res.reason = "not_evaluable", "; ".join(open_)
