"""The score of a mutmut run, per module, from ``mutmut results --all true`` in the run's folder.

    python tools/mutation_score.py /tmp/siting-mutation/rules                # score per module and in all
    python tools/mutation_score.py /tmp/siting-mutation/rules --survivors    # survivors, by function
    python tools/mutation_score.py /tmp/siting-mutation/bounds --only '*lagrangian*'   # some functions only
    python tools/mutation_score.py /tmp/siting-mutation/rules --rerun        # names of the mutants to run again

score = killed / (killed + survived), a timeout counting as killed (the mutant made the tests
hang: they noticed). Mutants that no selected test reaches ("no tests") are counted apart and
do not enter the score; ``strict`` also counts them as survivors. "not checked" are mutants
the run has not reached (stopped early, or left out by ``--only``).
"""

from __future__ import annotations

import argparse
import collections
import fnmatch
import re
import subprocess
import sys
from pathlib import Path

KILLED = ("killed", "timeout")
#: Mutant names: ``siting.rules.result.x_fmt__mutmut_3`` or ``siting.rules.result.xǁComplianceReportǁto_frame__mutmut_3``.
NAME = re.compile(r"^(?P<module>.*?)\.x(?:_(?P<func>.+?)|ǁ(?P<cls>[^ǁ]+)ǁ(?P<meth>.+?))__mutmut_\d+$")


def results(work: Path) -> list[tuple[str, str]]:
    """(mutant name, status) of every mutant of the run in ``work``.

    A mutant mutmut lists as "not checked" takes its status from ``work/previous.txt`` when that
    file has one (``tools/mutation.sh --again`` writes it before re-running): adding a test file
    changes mutmut's configuration, after which mutmut forgets every earlier result, and a mutant
    killed before stays killed when tests are only added.
    """
    previous = {}
    if (work / "previous.txt").exists():
        for line in (work / "previous.txt").read_text(encoding="utf-8").splitlines():
            if ": " in line:
                name, status = (part.strip() for part in line.rsplit(": ", 1))
                previous[name] = status
    mutmut = Path(sys.executable).with_name("mutmut")
    out = subprocess.run([str(mutmut), "results", "--all", "true"], cwd=work, capture_output=True, text=True,
                         check=True).stdout
    rows = []
    for line in out.splitlines():
        if ": " in line:
            name, status = (part.strip() for part in line.rsplit(": ", 1))
            rows.append((name, previous.get(name, status) if status == "not checked" else status))
    return rows


def split(name: str) -> tuple[str, str]:
    """(module, function) of a mutant name; methods as ``Class.method``."""
    m = NAME.match(name)
    if not m:
        return name, "?"
    return m["module"], m["func"] or f"{m['cls']}.{m['meth']}"


def line(label: str, c: collections.Counter[str]) -> str:
    killed, survived = sum(c[s] for s in KILLED), c["survived"]
    judged = killed + survived
    others = "".join(f", {n} {s}" for s, n in sorted(c.items()) if s not in (*KILLED, "survived") and n)
    timeouts = f" (incl. {c['timeout']} timeout)" if c["timeout"] else ""
    score = f" -> {100 * killed / judged:.1f} %" if judged else ""
    strict = judged + c["no tests"]
    strict_s = f" (strict {100 * killed / strict:.1f} %)" if c["no tests"] and strict else ""
    return f"{label}: {killed} killed{timeouts}, {survived} survived{others}{score}{strict_s}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("work", type=Path)
    ap.add_argument("--only", action="append", default=[], help="glob on mutant names (repeatable)")
    ap.add_argument("--names", type=Path, help="a file of mutant names, one a line (a sample): only these")
    ap.add_argument("--survivors", action="store_true", help="list the survivors by function")
    ap.add_argument("--rerun", action="store_true", help="print the names of the mutants not yet killed")
    ap.add_argument("--dump", action="store_true", help="print 'name: status' of every mutant (previous.txt merged)")
    args = ap.parse_args()
    rows = [(n, s) for n, s in results(args.work)
            if not args.only or any(fnmatch.fnmatchcase(n, g) for g in args.only)]
    if args.names:
        chosen = set(args.names.read_text(encoding="utf-8").split())
        rows = [(n, s) for n, s in rows if n in chosen]
    if args.dump:
        print("\n".join(f"{n}: {s}" for n, s in rows))
        return
    if args.rerun:
        print("\n".join(n for n, s in rows if s not in KILLED))
        return
    if args.survivors:
        by_function = collections.defaultdict(list)
        for n, s in rows:
            if s not in KILLED and s != "not checked":
                by_function[split(n)].append(f"{n.rsplit('__mutmut_', 1)[1]}{'' if s == 'survived' else f' ({s})'}")
        for (module, func), numbers in sorted(by_function.items()):
            print(f"{module} {func}: {len(numbers)}: {' '.join(numbers)}")
        return
    per_module: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for n, s in rows:
        per_module[split(n)[0]][s] += 1
    total: collections.Counter[str] = collections.Counter()
    for module, c in sorted(per_module.items()):
        total += c
        print(line(module, c))
    print(line("SCORE", total))


if __name__ == "__main__":
    main()
