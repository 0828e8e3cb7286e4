"""``siting.rules.check``: which pack a scenario runs, its overrides, and the errors without a pack.

A hand-made pack with one capacity rule (no road network needed): 120 planned places against a
target of 100 pass; the scenario's override raises the target to 150, which 120 places cannot
reach. The verdicts follow from those two numbers alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from siting.errors import InputError, SitingError
from siting.inputs.scenario import load_scenario
from siting.rules import check

PACK = {"pack": "t", "title": "T", "rules": [
    {"id": "X1", "kind": "capacity_total", "title": "Places", "source": {"document": "000", "quote": "q"},
     "applies_to": {"type": ["childcare"]}, "params": {"quantity": "places", "baseline": None, "min_total": 100}}]}


def write(tmp_path: Path, *, rules: bool = True, overrides: bool = True) -> Path:
    (tmp_path / "pack.yaml").write_text(yaml.safe_dump(PACK), encoding="utf-8")
    (tmp_path / "p.csv").write_text("id,name,type,places,lon,lat\np1,托育,childcare,120,108.6,21.9\n", encoding="utf-8")
    text = "name: s\n" + ("rules: pack.yaml\n" if rules else "") + "projects: p.csv\n"
    if overrides:
        text += "overrides:\n  X1:\n    params: {min_total: 150}\n"
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    return tmp_path / "s.yaml"


def test_the_scenarios_own_pack_takes_its_overrides(tmp_path: Path) -> None:
    report = check(write(tmp_path))
    r = report.result("X1")
    assert r.params["min_total"] == 150 and r.status == "fail"
    assert any("Changed by the scenario (s.yaml line" in n for n in r.notes)
    assert report.scenario == str(tmp_path / "s.yaml")


def test_a_loaded_scenario_is_used_as_it_is(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path))
    r = check(sc).result("X1")
    assert r.params["min_total"] == 150 and r.status == "fail"


def test_another_pack_given_explicitly_runs_as_shipped(tmp_path: Path) -> None:
    path = write(tmp_path)
    r = check(path, rules=tmp_path / "pack.yaml").result("X1")
    assert r.params["min_total"] == 100 and r.status == "pass"
    assert not any("Changed by the scenario" in n for n in r.notes)


def test_without_overrides_the_pack_runs_as_written(tmp_path: Path) -> None:
    r = check(write(tmp_path, overrides=False)).result("X1")
    assert r.params["min_total"] == 100 and r.status == "pass"


def test_no_pack_anywhere_is_an_error_naming_the_scenario(tmp_path: Path) -> None:
    path = write(tmp_path, rules=False, overrides=False)
    with pytest.raises(SitingError) as err:
        check(path)
    assert str(err.value).startswith(f"{path}: no rule pack: pass --rules qinzhou|guangxi|jingdezhen|PATH.yaml")
    with pytest.raises(SitingError) as err:
        check()
    assert str(err.value) == ("no rule pack: pass --rules qinzhou|guangxi|jingdezhen|PATH.yaml "
                              "(or set rules in the scenario)")


def test_a_pack_object_is_used_as_given(tmp_path: Path) -> None:
    from siting.rules import load_pack

    path = write(tmp_path)
    r = check(path, rules=load_pack(tmp_path / "pack.yaml")).result("X1")
    assert r.params["min_total"] == 100 and r.status == "pass"


def test_an_unknown_pack_named_by_the_scenario_is_an_error_in_the_scenario(tmp_path: Path) -> None:
    path = write(tmp_path, overrides=False)
    path.write_text(path.read_text(encoding="utf-8").replace("rules: pack.yaml", "rules: nosuchpack"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        check(path)
    assert str(err.value.path) == str(path) and err.value.message.startswith("rules: no rule pack 'nosuchpack'")
    # Named on the command line instead: the error is the pack's own, not the scenario's.
    with pytest.raises(InputError) as err:
        check(path, rules="nosuchpack")
    assert err.value.path is None and err.value.message.startswith("no rule pack 'nosuchpack'")


def test_a_broken_pack_file_named_by_the_scenario_is_an_error_in_that_file(tmp_path: Path) -> None:
    path = write(tmp_path, overrides=False)
    (tmp_path / "pack.yaml").write_text("pack: t\nrules: 3\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        check(path)
    assert str(err.value.path) == str(tmp_path / "pack.yaml") and not err.value.message.startswith("rules: ")


def test_an_unknown_pack_in_a_scenario_without_a_file_is_the_packs_own_error() -> None:
    from siting.inputs.scenario import Scenario

    with pytest.raises(InputError) as err:
        check(Scenario(name="s", rules="nosuchpack"))
    assert err.value.path is None and err.value.message.startswith("no rule pack 'nosuchpack'")


def test_keyword_inputs_override_the_scenarios(tmp_path: Path) -> None:
    path = write(tmp_path, overrides=False)
    (tmp_path / "q.csv").write_text("id,name,type,places,lon,lat\nq1,托育,childcare,90,108.6,21.9\n", encoding="utf-8")
    r = check(path, projects=str(tmp_path / "q.csv")).result("X1")
    assert r.status == "fail" and r.figures["total"] == 90  # 90 places < 100


def test_files_without_a_scenario(tmp_path: Path) -> None:
    write(tmp_path)
    report = check(rules=tmp_path / "pack.yaml", projects=str(tmp_path / "p.csv"))
    assert report.scenario is None and report.result("X1").status == "pass"


def test_evaluate_carries_the_rules_source_and_states_its_inputs(tmp_path: Path) -> None:
    import pandas as pd

    from siting.rules import evaluate, load_pack
    from siting.rules.context import CheckInputs

    pack_file = tmp_path / "pack.yaml"
    rule = {**PACK["rules"][0], "verified": False, "title_zh": "托位", "note": "N.", "note_zh": "说明。"}  # type: ignore[dict-item]
    pack_file.write_text(yaml.safe_dump({**PACK, "title_zh": "测", "rules": [rule], "documents": {"000": {"title": "方案"}}},
                                        allow_unicode=True), encoding="utf-8")
    projects = pd.DataFrame({"id": ["p1"], "name": "托育", "type": "childcare", "places": [120.0]})
    ci = CheckInputs(projects=projects, paths={"projects": "p.csv"}, notes={"projects": ["GBK", "places as number"]},
                     documents={"000": {"title": "old"}, "001": {"title": "其他"}}, central=object(), central_label="B区")
    report = evaluate(load_pack(pack_file), ci)
    r = report.result("X1")
    assert (r.title, r.title_zh, r.note, r.note_zh, r.verified) == ("Places", "托位", "N.", "说明。", False)
    assert r.source == {"document": "000", "quote": "q"} and r.notes[-1] == "N."
    assert report.inputs == {"projects": "p.csv", "rule pack file": str(pack_file),
                             "network": "no road network: pass --osm FILE (or set network.source in the scenario)",
                             "projects (read as)": "GBK; places as number", "central urban area": "B区"}
    assert report.documents == {"000": {"title": "方案"}, "001": {"title": "其他"}}  # the pack's own wins
    assert (report.pack, report.pack_title, report.pack_title_zh, report.scenario) == ("t", "T", "测", None)
    assert evaluate(load_pack(pack_file), ci, scenario="s.yaml").scenario == "s.yaml"
    # With a network at hand the summary does not mention one.
    ci.networks["walk"] = object()
    assert "network" not in evaluate(load_pack(pack_file), ci).inputs


def test_a_report_has_no_result_for_an_unknown_id(tmp_path: Path) -> None:
    report = check(write(tmp_path))
    with pytest.raises(KeyError) as err:
        report.result("Z9")
    assert err.value.args == ("Z9",)


def test_a_result_title_without_its_own_chinese_is_translated_from_the_catalogue() -> None:
    from siting.rules.result import RuleResult

    r = RuleResult("X1", "k", "no supply data: give planned projects or a facility file", "pass")
    assert r.title_in("zh") == "没有供给数据：请给出规划项目或设施表"
    assert r.title_in("en") == "no supply data: give planned projects or a facility file"


def test_overrides_errors_name_the_scenario_line(tmp_path: Path) -> None:
    path = write(tmp_path, overrides=False)
    (tmp_path / "pack.yaml").write_text(yaml.safe_dump({**PACK, "rules": PACK["rules"] + [{**PACK["rules"][0], "id": "X2"}]}),
                                        encoding="utf-8")
    # Line 5 is '  X1:', line 6 its applies_to.
    path.write_text(path.read_text(encoding="utf-8") + "overrides:\n  X1:\n    applies_to: {colour: [red]}\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as err:
        check(path)
    assert err.value.message == "line 6: rule X1: unknown applies_to key 'colour'"
    path.write_text(path.read_text(encoding="utf-8").replace("  X1:", "  X9:"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        check(path)
    assert err.value.message == "line 5: unknown rule id 'X9' in overrides" and err.value.hint == "Pack t has X1, X2"
