"""The planner's path rehearsed on a SYNTHETIC province: a copy of ``scenarios/qinzhou.yaml``.

The rehearsal test (``tests/test_rehearsal.py``) and the benchmark (``bench_province.py``) run
the planner's commands on the very scenario a Qinzhou planner uses, with three changes only:
its ``name`` and ``title`` say SYNTHETIC (the figures of a generated province are not
Qinzhou's and must never be presented as such), and ``fetch.url`` points at the loopback
mirror (``mirror.py``). The copy lives in ``<work>/scenarios/`` beside ``<work>/data/``, whose
``plans`` and ``china`` folders link to the repository's, so every relative path of the
scenario resolves as in the repository, and ``../data/osm/`` (the extract ``siting fetch-osm``
writes, the network, hospitals and facilities the scenario reads) is the work folder's own.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "qinzhou.yaml"
NAME = "synthetic-rehearsal"
TITLE = "SYNTHETIC 合成数据演练（生成的省级数据，非钦州数据）"


def write_scenario(work: str | Path, url: str) -> Path:
    """Write the SYNTHETIC copy of ``scenarios/qinzhou.yaml`` under ``work``; its path.

    ``url`` is the mirror's address of the generated province (``fetch.url``).
    """
    work = Path(work)
    (work / "scenarios").mkdir(parents=True, exist_ok=True)
    (work / "data" / "osm").mkdir(parents=True, exist_ok=True)
    for folder in ("plans", "china"):
        link = work / "data" / folder
        if not link.exists():
            link.symlink_to(ROOT / "data" / folder, target_is_directory=True)
    text = SCENARIO.read_text(encoding="utf-8")
    for key, value in (("name", NAME), ("title", TITLE), ("  url", url)):
        text, n = re.subn(rf"^{key}: .*$", f"{key}: {value}", text, count=1, flags=re.MULTILINE)
        if n != 1:
            raise ValueError(f"{SCENARIO}: no line '{key.strip()}: ...' to replace")
    out = work / "scenarios" / "qinzhou.yaml"
    out.write_text("# SYNTHETIC rehearsal: a copy of scenarios/qinzhou.yaml on a generated province "
                   "(bench/rehearsal.py); its figures are not Qinzhou's.\n" + text, encoding="utf-8")
    return out
