"""Golden outputs: run the main commands on the bundled data and compare two code versions byte for byte.

A refactoring must not change what siting computes. This script runs, with one version of the
code, the commands whose outputs are the contract, and writes their normalised outputs into a
folder; then it compares two such folders file by file.

    python tools/golden.py run OUT_DIR                 # this checkout's code
    python tools/golden.py run OUT_DIR --code REV      # the code of a git revision (a temporary worktree)
    python tools/golden.py compare A_DIR B_DIR         # exit 1 and list differences when they differ
    python tools/golden.py check --against REV         # run both and compare (the usual call)

Both versions read the same input files (this checkout's ``data/``, ``scenarios/``, ``examples/``),
so only the code differs. Outputs are normalised before comparison: absolute paths of the
checkout become ``<root>``, temporary folders ``<tmp>``, and wall-clock fields (seconds,
timings, dates) are dropped. Everything else must be identical.

The commands: ``siting demo --json``; ``siting check --json`` on every ``scenarios/*.yaml``;
``siting place --json`` and ``siting score --json`` on the Monaco demo scenario; ``siting
allocate --json`` (mclp, pmedian, lscp) on a fixed matrix from ``examples/golden/``; and the
result files of ``siting batch examples/batch_demo.yaml``.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: Keys whose values depend on the clock or the machine, dropped before comparing.
VOLATILE_KEYS = {"seconds", "elapsed_s", "wall_s", "timings", "started", "finished", "date", "run", "worker",
                 "solve_seconds", "build_seconds", "time_s_total", "duration_s", "when", "host", "pid"}
SCORE_CANDIDATES = "id,lon,lat\nnear-pharmacy,7.418789,43.732746\nnear-bughin,7.424074,43.73983\nat-sea,7.43,43.70\n"


def _commands(tmp: Path) -> list[tuple[str, list[str]]]:
    """(output name, siting arguments) of every golden command."""
    cmds: list[tuple[str, list[str]]] = [("demo.json", ["demo", "--json", "--out-dir", str(tmp / "demo")])]
    for sc in sorted((ROOT / "scenarios").glob("*.yaml")):
        cmds.append((f"check_{sc.stem}.json", ["check", "--scenario", str(sc), "--json"]))
    monaco = str(ROOT / "scenarios" / "monaco_demo.yaml")
    cmds.append(("place_monaco.json", ["place", "--scenario", monaco, "--json"]))
    cand = tmp / "score_candidates.csv"
    cand.write_text(SCORE_CANDIDATES, encoding="utf-8")
    cmds.append(("score_monaco.json", ["score", "--scenario", monaco, "--candidates", str(cand), "--json"]))
    g = ROOT / "examples" / "golden"
    files = ["--demand", str(g / "demand.csv"), "--candidates", str(g / "candidates.csv"), "--matrix", str(g / "matrix.csv")]
    cmds.append(("allocate_mclp.json", ["allocate", "--model", "mclp", "--p", "3", "--cutoff", "600", *files, "--json"]))
    cmds.append(("allocate_pmedian.json", ["allocate", "--model", "pmedian", "--p", "3", *files, "--json"]))
    cmds.append(("allocate_lscp.json", ["allocate", "--model", "lscp", "--cutoff", "1500", *files, "--json"]))
    return cmds


def _normalise(obj: Any, code_root: str, tmp: str) -> Any:
    if isinstance(obj, dict):
        return {k: _normalise(v, code_root, tmp) for k, v in obj.items()
                if k not in VOLATILE_KEYS and not str(k).endswith("_seconds")}
    if isinstance(obj, list):
        return [_normalise(v, code_root, tmp) for v in obj]
    if isinstance(obj, str):
        for root in {code_root, str(ROOT)}:
            obj = obj.replace(root, "<root>")
        return obj.replace(tmp, "<tmp>")
    return obj


def _siting(args: list[str], code: Path, cwd: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(code), SITING_CACHE_DIR=str(cache), MPLBACKEND="Agg", PYTHONHASHSEED="0")
    # -P: do not put the working directory (this checkout) first on sys.path, or `-m siting` would run
    # this checkout's package instead of the one in ``code``.
    return subprocess.run([sys.executable, "-P", "-m", "siting", *args], cwd=cwd, env=env, capture_output=True, text=True)


def run(out: Path, code: Path) -> None:
    """Run every golden command with the siting package found in ``code``; write normalised outputs to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="siting-golden-") as t:
        tmp = Path(t)
        cache = tmp / "cache"
        for name, args in _commands(tmp):
            proc = _siting(args, code, ROOT, cache)
            text = proc.stdout
            try:
                doc: Any = json.loads(text)
            except json.JSONDecodeError:
                doc = {"stdout": text}
            doc = {"exit": proc.returncode, "output": _normalise(doc, str(code), t)}
            (out / name).write_text(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            print(f"golden: {name} (exit {proc.returncode})", file=sys.stderr)
        batch_out = tmp / "batch"
        proc = _siting(["batch", str(ROOT / "examples" / "batch_demo.yaml"), "--out", str(batch_out), "--json"],
                       code, ROOT, cache)
        (out / "batch_exit.json").write_text(json.dumps({"exit": proc.returncode}) + "\n", encoding="utf-8")
        bdir = out / "batch"
        bdir.mkdir(exist_ok=True)
        for f in sorted((batch_out / "results").glob("*.json")):
            doc = _normalise(json.loads(f.read_text(encoding="utf-8")), str(code), t)
            (bdir / f.name).write_text(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                       encoding="utf-8")
        print(f"golden: batch, {len(list(bdir.glob('*.json')))} result files (exit {proc.returncode})", file=sys.stderr)


def compare(a: Path, b: Path) -> int:
    """Print the differences between two golden folders; 0 when identical."""
    names = sorted({p.relative_to(a).as_posix() for p in a.rglob("*.json")} |
                   {p.relative_to(b).as_posix() for p in b.rglob("*.json")})
    bad = 0
    for name in names:
        fa, fb = a / name, b / name
        if not fa.exists() or not fb.exists():
            print(f"only in {'B' if not fa.exists() else 'A'}: {name}")
            bad += 1
            continue
        ta, tb = fa.read_text(encoding="utf-8"), fb.read_text(encoding="utf-8")
        if ta != tb:
            bad += 1
            diff = difflib.unified_diff(ta.splitlines(), tb.splitlines(), f"A/{name}", f"B/{name}", lineterm="", n=2)
            print("\n".join(list(diff)[:60]))
    print(f"golden: {len(names) - bad} of {len(names)} outputs identical" + (f", {bad} differ" if bad else ""))
    return 1 if bad else 0


def _worktree(rev: str, where: Path) -> Path:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), rev], check=True,
                   capture_output=True)
    return where


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("out", type=Path)
    r.add_argument("--code", default=None, help="git revision whose siting package to run (default: this checkout)")
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    k = sub.add_parser("check")
    k.add_argument("--against", required=True, help="git revision to compare this checkout with")
    k.add_argument("--keep", type=Path, default=None, help="keep both output folders here")
    args = ap.parse_args(argv)
    if args.cmd == "compare":
        return compare(args.a, args.b)
    with tempfile.TemporaryDirectory(prefix="siting-golden-wt-") as t:
        if args.cmd == "run":
            code = ROOT if args.code is None else _worktree(args.code, Path(t) / "code")
            try:
                run(args.out, code)
            finally:
                if args.code is not None:
                    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(code)], check=False)
            return 0
        keep = args.keep or Path(t) / "out"
        ref = _worktree(args.against, Path(t) / "ref")
        try:
            run(keep / "reference", ref)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(ref)], check=False)
        run(keep / "current", ROOT)
        status = compare(keep / "reference", keep / "current")
        if args.keep is None:
            shutil.rmtree(keep, ignore_errors=True)
        return status


if __name__ == "__main__":
    sys.exit(main())
