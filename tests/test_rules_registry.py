"""The rule-kind registry (siting/rules/registry.py): what ``register`` records.

The shipped kinds register themselves when :mod:`siting.rules` is imported, before any test
runs; these tests call ``register`` themselves, on a kind of their own, so that what it records
(name, function, parameters, doc, needs) is checked field by field.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from siting.rules.registry import KINDS, REQUIRED, Param, RuleKind, register, rule_kinds


def probe(rule: Any, ctx: Any) -> Any:
    """Docstring of the probe kind.   """
    return None


def bare(rule: Any, ctx: Any) -> Any:
    return None


@pytest.fixture
def clean() -> Iterator[None]:
    yield
    for name in ("probe", "bare"):
        KINDS.pop(name, None)


def test_register_records_every_field_and_returns_the_function(clean: None) -> None:
    params = {"min_share": Param("number"), "mode": Param("str", "walk", ("walk", "drive"), "how")}
    assert register("probe", params, "Own doc.", ("network",))(probe) is probe
    assert KINDS["probe"] == RuleKind(name="probe", func=probe, params=params, doc="Own doc.", needs=("network",))
    assert rule_kinds()["probe"] is KINDS["probe"]


def test_register_takes_the_docstring_stripped_when_no_doc_is_given(clean: None) -> None:
    register("probe", {})(probe)
    kind = KINDS["probe"]
    assert (kind.name, kind.doc, kind.needs, kind.params) == ("probe", "Docstring of the probe kind.", (), {})
    register("bare", {})(bare)
    assert KINDS["bare"].doc == "" and KINDS["bare"].func is bare


def test_a_param_is_required_only_without_a_default() -> None:
    assert Param("number").required and Param("number").default is REQUIRED
    assert not Param("number", None).required and not Param("str", "").required
