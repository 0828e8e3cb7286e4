"""docs/RULES.md, the table of every commitment of the seed plans: every id of EXTRACT.md is a row,
and every rule of a built-in pack is named in its id's row with its pack and kind."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from siting.inputs.scenario import load_scenario
from siting.rules import load_pack

REPO = Path(__file__).resolve().parents[1]
EXTRACT = REPO / "data" / "plans" / "sources" / "EXTRACT.md"
RULES = REPO / "docs" / "RULES.md"
PACKS = ("qinzhou", "qinzhou-health", "guangxi", "jingdezhen")


def _rows() -> dict[str, list[str]]:
    out = {}
    for line in RULES.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\| ([A-I]\d+) \|", line)
        if m:
            assert m.group(1) not in out, f"{m.group(1)} has two rows"
            out[m.group(1)] = [c.strip() for c in line.strip().strip("|").split("|")]
    return out


def test_every_extract_id_has_a_row():
    ids = set(re.findall(r"^\| ([A-I]\d+) \|", EXTRACT.read_text(encoding="utf-8"), flags=re.MULTILINE))
    assert len(ids) == 137
    rows = _rows()
    assert set(rows) == ids
    for rid, (_, _, pack, _kind, status) in rows.items():
        assert status.startswith(("implemented", "not checkable from spatial data: ", "**not implemented**")), rid
        if status.startswith("not checkable"):
            assert pack == "—" and len(status) > 40, rid  # a reason, not just the label


def test_every_pack_rule_is_in_its_row():
    rows = _rows()
    for name in PACKS:
        for rule in load_pack(name).rules:
            base = re.match(r"[A-Z]+\d+", rule.id).group(0)
            _, _, pack, kind, status = rows[base]
            assert name in [p.strip() for p in pack.split(",")], (rule.id, pack)
            assert rule.kind in kind and status.startswith("implemented") and rule.id in status, rule.id


def test_every_rule_a_row_names_is_in_its_pack():
    """The other way round: a row that says a rule implements it names rules its packs have."""
    ids = {name: {r.id for r in load_pack(name).rules} for name in PACKS}
    named_any = 0
    for rid, (_, _, pack, _kind, status) in _rows().items():
        if not status.startswith("implemented") or pack.startswith("scenario"):
            continue
        packs = [p.strip() for p in pack.split(",")]
        named = re.findall(r"\b[A-I]\d+(?:-[\w-]+)?\b", status.split(":", 1)[1])
        assert named, rid
        for rule_id in named:
            assert any(rule_id in ids.get(p, set()) for p in packs), (rid, rule_id, pack)
        named_any += len(named)
    assert named_any >= 87


def test_the_count_adds_up():
    rows = _rows()
    implemented = sum(r[4].startswith("implemented") for r in rows.values())
    undone = sum(r[4].startswith("**not implemented**") for r in rows.values())
    text = RULES.read_text(encoding="utf-8")
    assert f"{implemented} / {implemented + undone} = {100 * implemented / (implemented + undone):.1f} %" in text
    assert implemented / (implemented + undone) >= 0.9


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).replace('"', "").replace("“", "").replace("”", "")


def test_the_questions_are_in_the_bundled_scenario_and_quote_their_clause():
    sc = load_scenario(REPO / "scenarios" / "qinzhou_health.yaml")
    rows = _rows()
    files = {"003": "003_4fa51047010d1a00.txt", "004": "004_4e88682039944ece.txt"}
    for q in sc.questions:
        assert rows[q.id][2] == "scenario qinzhou_health" and "siting question" in rows[q.id][3]
        line = int(re.search(r"L(\d+)", q.source["line"]).group(1))
        text = (EXTRACT.parent / files[q.source["document"]]).read_text(encoding="utf-8").splitlines()[line - 1]
        assert _norm(q.source["quote"]) in _norm(text), q.id
