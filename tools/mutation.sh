#!/usr/bin/env bash
# Mutation testing with mutmut (pinned in the 'mutation' extra). Slow: not part of the test run or CI.
#
#   bash tools/mutation.sh rules       # siting/rules/ against the rule tests
#   bash tools/mutation.sh coverage    # siting/analysis/coverage.py and siting/routing/access.py
#   bash tools/mutation.sh rules siting/rules/kinds/capacity.py   # narrower: only these files (globs)
#
# All of siting/rules/ is about 6,700 mutants: some 80 minutes on 2 busy cores.
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
shift || true
case "$target" in
  rules)
    only='"siting/rules/*"'
    tests='"tests/test_rules.py", "tests/test_rules_missing.py", "tests/test_rules_packs.py", "tests/test_properties.py"'
    ;;
  coverage)
    only='"siting/analysis/coverage.py", "siting/routing/access.py"'
    tests='"tests/test_coverage.py", "tests/test_unlocated.py", "tests/test_properties.py"'
    ;;
  *) echo "usage: bash tools/mutation.sh rules|coverage" >&2; exit 2 ;;
esac
if [ "$#" -gt 0 ]; then only=$(printf '"%s", ' "$@"); only="${only%, }"; fi
[ -x .venv/bin/mutmut ] || .venv/bin/python -m pip install --quiet -e ".[test,mutation]"
work="${MUTATION_DIR:-/tmp/siting-mutation}/$target"
rm -rf "$work"
mkdir -p "$work"
cp -r siting tests data scenarios examples pyproject.toml "$work/"
cat >> "$work/pyproject.toml" <<TOML

[tool.mutmut]
source_paths = ["siting/"]
only_mutate = [$only]
pytest_add_cli_args_test_selection = [$tests]
also_copy = ["data/", "scenarios/", "examples/"]
TOML
cd "$work"
echo "mutation testing of $only in $work"
# Fewer, fixed property examples per mutant: the run stays reproducible and within an hour on 2 cores.
export SITING_PROPERTY_EXAMPLES="${SITING_PROPERTY_EXAMPLES:-12}" CI=true MPLBACKEND=Agg
"$root/.venv/bin/mutmut" run --max-children "${MUTATION_CHILDREN:-2}" > run.log 2>&1 || true
tail -3 run.log
"$root/.venv/bin/python" "$root/tools/mutation_score.py" "$work"
