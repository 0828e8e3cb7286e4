"""One validated rule of a pack: its id, kind, parameters, filter and the clause it comes from.

A leaf module: the registry, the pack loader and every rule kind use :class:`Rule`, and it
imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Rule:
    """One rule of a pack, validated."""

    id: str
    kind: str
    title: str
    params: dict[str, Any]
    applies_to: dict[str, Any]
    source: dict[str, Any]
    line: int = 0
    verified: bool | None = None
    note: str = ""
    pack: str = ""
    #: The title and note in Chinese, for reports in Chinese (empty: the pack gives none).
    title_zh: str = ""
    note_zh: str = ""
