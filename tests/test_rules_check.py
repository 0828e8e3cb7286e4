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
