#!/usr/bin/env bash
# Mutation testing with mutmut (pinned in the 'mutation' extra). Slow: not part of the test run or CI.
#
#   bash tools/mutation.sh rules       # siting/rules/ against the rule tests
#   bash tools/mutation.sh coverage    # siting/analysis/coverage.py and siting/routing/access.py
#
# The run happens in a copy of the checkout (MUTATION_DIR, default /tmp/siting-mutation/<target>),
# so nothing here changes; the last lines printed are the score. Afterwards, in that folder:
#   ../../<checkout>/.venv/bin/mutmut results            # the surviving mutants
#   ../../<checkout>/.venv/bin/mutmut show <name>        # one mutant's diff
# docs/MUTATION.md lists the survivors of the last recorded run and why each survives.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target="${1:-rules}"
case "$target" in
  rules)
    keep="siting/rules/"
    tests='"tests/test_rules.py", "tests/test_rules_missing.py", "tests/test_rules_packs.py", "tests/test_properties.py"'
    skip='"siting/[!r]*", "siting/routing/*", "siting/reporting/*", "siting/rules/packs/*"'
    ;;
  coverage)
    keep="siting/analysis/coverage.py siting/routing/access.py"
    tests='"tests/test_coverage.py", "tests/test_unlocated.py", "tests/test_properties.py"'
    skip='"siting/[!ar]*", "siting/allocation/*", "siting/analysis/[!c]*", "siting/analysis/c[!o]*", "siting/reporting/*", "siting/rules/*", "siting/routing/[!a]*"'
    ;;
  *) echo "usage: bash tools/mutation.sh rules|coverage" >&2; exit 2 ;;
esac
[ -x .venv/bin/mutmut ] || .venv/bin/python -m pip install --quiet -e ".[test,mutation]"
work="${MUTATION_DIR:-/tmp/siting-mutation}/$target"
rm -rf "$work"
mkdir -p "$work"
cp -r siting tests data scenarios examples pyproject.toml "$work/"
cat >> "$work/pyproject.toml" <<TOML

[tool.mutmut]
paths_to_mutate = ["siting/"]
do_not_mutate = [$skip]
tests_dir = [$tests]
also_copy = ["data/", "scenarios/", "examples/"]
TOML
cd "$work"
echo "mutation testing of $keep in $work"
# Fewer, fixed property examples per mutant: the run stays reproducible and within an hour on 2 cores.
export SITING_PROPERTY_EXAMPLES="${SITING_PROPERTY_EXAMPLES:-12}" CI=true MPLBACKEND=Agg
"$root/.venv/bin/mutmut" run --max-children "${MUTATION_CHILDREN:-2}" > run.log 2>&1 || true
tail -3 run.log
"$root/.venv/bin/python" "$root/tools/mutation_score.py" "$work"
