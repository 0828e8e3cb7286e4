"""The score of a mutmut run: killed / (killed + survived), per file, from ``mutmut results --all true``.

    python tools/mutation_score.py /tmp/siting-mutation/rules
"""

from __future__ import annotations

import collections
import re
import subprocess
import sys
from pathlib import Path


def main() -> None:
    work = Path(sys.argv[1])
    mutmut = Path(sys.executable).with_name("mutmut")
    out = subprocess.run([str(mutmut), "results", "--all", "true"], cwd=work, capture_output=True, text=True).stdout
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for line in out.splitlines():
        if ":" not in line:
            continue
        name, status = (part.strip() for part in line.rsplit(":", 1))
        match = re.match(r"^(.*?)\.x[_ǁ]", name)
        module = match.group(1) if match else name
        counts[module][status] += 1
    total: collections.Counter[str] = collections.Counter()
    for module, c in sorted(counts.items()):
        total += c
        judged = c["killed"] + c["survived"]
        print(f"{module}: {c['killed']} killed, {c['survived']} survived"
              + "".join(f", {n} {s}" for s, n in sorted(c.items()) if s not in ("killed", "survived"))
              + (f" -> {100 * c['killed'] / judged:.1f} %" if judged else ""))
    judged = total["killed"] + total["survived"]
    print(f"SCORE killed={total['killed']} survived={total['survived']} "
          + " ".join(f"{s}={n}" for s, n in sorted(total.items()) if s not in ("killed", "survived"))
          + (f" score={100 * total['killed'] / judged:.1f}%" if judged else ""))


if __name__ == "__main__":
    main()
