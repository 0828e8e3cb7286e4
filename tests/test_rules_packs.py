"""Rule packs: validation errors name the line; built-in quotes are verbatim from the sources."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from siting.errors import InputError
from siting.rules import load_pack
from siting.rules.pack import BUILTIN_PACKS, PACKS_DIR, apply_overrides

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "data" / "plans" / "sources"

GOOD = """\
pack: mine
rules:
  - id: A4
    kind: hospital_proximity
    params:
      max_km: 5
    source: {document: "000", quote: q}
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "pack.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_good_pack_and_defaults(tmp_path):
    pack = load_pack(_write(tmp_path, GOOD))
    rule = pack.rule("A4")
    assert rule.params == {"max_km": 5, "distance": "straight_line", "hospital_category": ["general"],
                           "hospital_min_level": None, "assume_general": True}


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("id: A4", "id: A99", 3, "unknown rule id 'A99'"),
        ("id: A4", "id: Z1", 3, "unknown rule id 'Z1'"),
        ("kind: hospital_proximity", "kind: hospital_nearness", 4, "unknown rule kind 'hospital_nearness'"),
        ("      max_km: 5", "      max_km: 5\n      max_kms: 4", 7, "unknown parameter 'max_kms'"),
        ("      max_km: 5", "      max_km: five", 6, "must be number"),
        ("      max_km: 5", "      max_km: 5\n      distance: road", 7, "parameter 'distance' is 'road'"),
        ("    params:\n      max_km: 5\n", "    params: {}\n", 3, "missing parameter 'max_km'"),
        ("    kind:", "    severity: high\n    kind:", 4, "unknown key 'severity'"),
        ("source: {document: \"000\", quote: q}", "source: {document: \"000\", quote: q, page: 3}", 7, "unknown source key 'page'"),
    ],
)
def test_bad_pack_names_file_and_line(tmp_path, old, new, line, words):
    text = GOOD.replace(old, new)
    assert text != GOOD
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as err:
        load_pack(path)
    message = str(err.value)
    assert str(path) in message and f"line {line}:" in message and words in message


def test_duplicate_ids_and_custom_ids(tmp_path):
    twice = GOOD + GOOD.split("rules:\n")[1]
    with pytest.raises(InputError, match=r"line 8: rule id 'A4' is used twice \(first on line 3\)"):
        load_pack(_write(tmp_path, twice))
    assert load_pack(_write(tmp_path, GOOD.replace("id: A4", "id: X-parking"))).rules[0].id == "X-parking"


def test_bad_yaml_names_line(tmp_path):
    with pytest.raises(InputError, match="line"):
        load_pack(_write(tmp_path, "pack: x\nrules: [\n  - a: b\n"))


def test_unknown_pack_name():
    with pytest.raises(InputError, match="qinzhou, guangxi, jingdezhen"):
        load_pack("shenzhen")


def test_select_unknown_rule_id():
    with pytest.raises(InputError, match="unknown rule id.*Z9"):
        load_pack("qinzhou").select(["A4", "Z9"])


def test_overrides_validated(tmp_path):
    pack = load_pack("qinzhou")
    sc = tmp_path / "s.yaml"
    from siting.inputs.scenario import load_yaml_with_lines

    sc.write_text("A4:\n  params: {distance: network}\n", encoding="utf-8")
    changed = apply_overrides(pack, load_yaml_with_lines(sc), sc)
    assert changed.rule("A4").params["distance"] == "network" and pack.rule("A4").params["distance"] == "straight_line"
    sc.write_text("A4:\n  params:\n    distanse: network\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 3: rule A4: unknown parameter 'distanse'"):
        apply_overrides(pack, load_yaml_with_lines(sc), sc)
    sc.write_text("A44:\n  params: {distance: network}\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1: unknown rule id 'A44'"):
        apply_overrides(pack, load_yaml_with_lines(sc), sc)


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).replace('"', "").replace("“", "").replace("”", "")


@pytest.mark.parametrize("name", ["qinzhou", "qinzhou-health", "guangxi", "jingdezhen"])
def test_quotes_are_verbatim_at_the_cited_line(name):
    """Every quote appears, whitespace and punctuation width aside, on the first line it cites (or in the
    range of lines it cites, ``003 L328-330``, for a sentence a page break splits)."""
    pack = load_pack(name)
    for rule in pack.rules:
        doc = rule.source["document"]
        file = SOURCES / pack.documents[doc]["file"]
        lines = file.read_text(encoding="utf-8").splitlines()
        m = re.search(rf"{doc} L(\d+)(?:-(\d+))?", rule.source["line"])
        assert m, (rule.id, rule.source["line"])
        first = int(m.group(1))
        cited = _norm("".join(lines[first - 1:int(m.group(2) or first)]))
        assert _norm(rule.source["quote"]) in cited, (rule.id, rule.source["quote"])


def test_builtin_packs_load_and_gb_is_marked_unverified():
    for name, file in BUILTIN_PACKS.items():
        assert (PACKS_DIR / file).exists()
        assert load_pack(name).rules
    gb = load_pack("gb50180")
    assert {r.id: r.params["max_distance_m"] for r in gb.rules} == {"GB-15min": 1000, "GB-10min": 500, "GB-5min": 300}
    assert all(r.verified is False for r in gb.rules)
    assert {r.id: r.params["population_band"] for r in gb.rules}["GB-10min"] == [15000, 25000]
