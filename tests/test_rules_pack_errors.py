"""A pack file's errors name the line and say what to write; built-in packs by name or file name."""

from __future__ import annotations

from pathlib import Path

import pytest

from siting.errors import InputError
from siting.rules.pack import PACKS_DIR, load_pack, resolve_pack

RULE = """  - id: X1
    kind: capacity_total
    source: {document: "000", quote: q}
    params: {quantity: places, baseline: null, min_total: 1}
"""


def load(tmp_path: Path, text: str) -> InputError:
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_pack(tmp_path / "p.yaml")
    return err.value


def test_an_unknown_top_level_key_lists_the_known_ones(tmp_path: Path) -> None:
    e = load(tmp_path, "pack: t\ncolour: red\nrules:\n" + RULE)
    assert e.message == "line 2: unknown key 'colour'"
    assert e.hint == "A pack has description, documents, notes, pack, rules, title, title_zh"


def test_a_rule_id_used_twice_names_both_lines(tmp_path: Path) -> None:
    # The rules start on lines 3 and 7.
    e = load(tmp_path, "pack: t\nrules:\n" + RULE + RULE)
    assert e.message == "line 7: rule id 'X1' is used twice (first on line 3)"


def test_an_unknown_kind_lists_the_known_kinds(tmp_path: Path) -> None:
    e = load(tmp_path, "pack: t\nrules:\n" + RULE.replace("capacity_total", "colour_check"))
    assert e.message == "line 4: rule X1: unknown rule kind 'colour_check'"
    assert e.hint is not None and e.hint.startswith("Known kinds: ") and "capacity_total, " in e.hint


def test_parameter_and_source_errors_name_the_rule(tmp_path: Path) -> None:
    e = load(tmp_path, "pack: t\nrules:\n" + RULE.replace("min_total: 1", "min_total: 1, colour: red"))
    assert e.message == "line 6: rule X1: unknown parameter 'colour' for kind capacity_total"
    e = load(tmp_path, "pack: t\nrules:\n" + RULE.replace(", quote: q", ""))
    assert e.message == "line 5: rule X1: the source needs a 'quote'"


def test_a_packs_title_and_notes_are_read(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("pack: t\ntitle: T\ntitle_zh: 测\nnotes: N\nrules:\n" + RULE, encoding="utf-8")
    pack = load_pack(tmp_path / "p.yaml")
    assert (pack.name, pack.title, pack.title_zh, pack.notes) == ("t", "T", "测", "N")


def test_a_built_in_pack_by_its_file_name() -> None:
    assert resolve_pack("qinzhou") == PACKS_DIR / "qinzhou-2023.yaml"
    assert resolve_pack("qinzhou-2023") == PACKS_DIR / "qinzhou-2023.yaml"
    assert resolve_pack("qinzhou-2023.yaml") == PACKS_DIR / "qinzhou-2023.yaml"
