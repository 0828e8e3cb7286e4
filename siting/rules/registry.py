"""The rule kinds: which implementation checks a rule, and which parameters it takes.

Each kind declares its parameters with :class:`Param`; :mod:`siting.rules.pack`
validates a pack against these declarations (unknown kinds, unknown or
mistyped parameters are errors naming the pack file and line).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from siting.rules.context import CheckInputs
    from siting.rules.result import RuleResult
    from siting.rules.rule import Rule

REQUIRED = object()

#: Facility filter keys allowed in a rule's ``applies_to``.
APPLIES_TO_KEYS: dict[str, str] = {
    "type": "list[str]",
    "owner_kind": "list[str]",
    "category": "list[str]",
    "tier": "list[str]",
    "name_matches": "str",
    "from": "list[str]",  # facilities | projects | hospitals
}


@dataclass(frozen=True)
class Param:
    """One parameter of a rule kind.

    ``type`` is one of 'number', 'int', 'str', 'bool', 'list[str]', 'list[number]', 'mapping';
    a trailing '?' allows null.
    """

    type: str
    default: Any = REQUIRED
    choices: tuple[str, ...] = ()
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class RuleKind:
    name: str
    func: Callable[[Rule, CheckInputs], RuleResult]
    params: dict[str, Param]
    doc: str = ""
    needs: tuple[str, ...] = field(default_factory=tuple)


KINDS: dict[str, RuleKind] = {}


def register(name: str, params: dict[str, Param], doc: str = "", needs: tuple[str, ...] = ()) -> Callable[
    [Callable[[Rule, CheckInputs], RuleResult]], Callable[[Rule, CheckInputs], RuleResult]
]:
    """Register a rule implementation under ``name``: ``register("share", {...})(share)``.

    The kind modules call it below each function rather than as a decorator: mutation testing
    (mutmut, tools/mutation.sh) leaves decorated functions alone, and the verdicts live there.
    """

    def wrap(func: Callable[[Rule, CheckInputs], RuleResult]) -> Callable[[Rule, CheckInputs], RuleResult]:
        KINDS[name] = RuleKind(name=name, func=func, params=params, doc=doc or (func.__doc__ or "").strip(), needs=needs)
        return func

    return wrap


def rule_kinds() -> dict[str, RuleKind]:
    """Every registered kind by name.

    The implementations register themselves when :mod:`siting.rules.kinds` is imported, which
    importing :mod:`siting.rules` does; this module imports none of them, so it has no cycle.
    """
    return KINDS
