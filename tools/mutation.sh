#!/usr/bin/env bash
# Mutation testing with mutmut (pinned in the 'mutation' extra). Slow: not part of the test run or CI.
#
#   bash tools/mutation.sh rules       # siting/rules/ against the rule tests (tests/test_rules*.py, test_properties.py)
#   bash tools/mutation.sh coverage    # siting/analysis/coverage.py and siting/routing/access.py
#   bash tools/mutation.sh bounds      # the Lagrangian bounds of siting/allocation/heuristics/
#   bash tools/mutation.sh rules siting/rules/kinds/capacity.py   # narrower: only these files (globs)
#   bash tools/mutation.sh rules --again   # after adding tests: re-run only what was not killed
#   bash tools/mutation.sh rules --sample 1200 FILES...   # a fixed random sample of the mutants (seed: MUTATION_SEED)
#
# The run happens in a copy of the checkout (MUTATION_DIR, default /tmp/siting-mutation/<target>),
# so nothing here changes; the last lines printed are the score per module (tools/mutation_score.py).
# --again copies the current code and tests into that folder and re-runs the mutants that survived,
# had no test or were not reached (mutmut re-mutates the functions whose code changed by itself).
# Afterwards, in that folder:
#   <checkout>/.venv/bin/mutmut show <name>                                 # one mutant's diff
#   <checkout>/.venv/bin/python <checkout>/tools/mutation_score.py . --survivors   # survivors by function
# docs/MUTATION.md has the recorded scores, the survivors and why each survives, and the timings.
#
# Each mutant runs only the selected tests that reached its function (mutmut records them in a
# first, unmutated run), fastest first (tools/mutation_plugin.py), with fewer property examples
# (SITING_PROPERTY_EXAMPLES). Tests marked 'network' (they build a road network from an OSM
# extract, seconds each) are left out: the rules' road paths are tested on the hand-made ladder.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target="${1:-rules}"
shift || true
again=0
sample=0
if [ "${1:-}" = "--again" ]; then again=1; shift; fi
if [ "${1:-}" = "--sample" ]; then sample="$2"; shift 2; fi
names=()
case "$target" in
  rules)
    only='"siting/rules/*"'
    tests=$(printf '"%s", ' tests/test_rules*.py tests/test_properties.py)
    ;;
  coverage)
    only='"siting/analysis/coverage.py", "siting/routing/access.py"'
    tests='"tests/test_coverage.py", "tests/test_unlocated.py", "tests/test_properties.py", "tests/test_rules_circles.py"'
    ;;
  bounds)
    # The bounds only (the numba-compiled inner loops, _lagrange_rho and _lagrange_subgrad, are decorated
    # functions, which mutmut leaves alone; their results are checked through the bounds).
    only='"siting/allocation/heuristics/cover.py", "siting/allocation/heuristics/median.py", "siting/allocation/heuristics/subgradient.py"'
    tests='"tests/test_allocation_heuristics.py"'
    names=("siting.allocation.heuristics.*lagrangian_*" "siting.allocation.heuristics.cover.x__cover_reduced_cost_test*"
           "siting.allocation.heuristics.subgradient.*")
    ;;
  *) echo "usage: bash tools/mutation.sh rules|coverage|bounds [--again] [FILE_GLOB...]" >&2; exit 2 ;;
esac
tests="${tests%, }"
if [ "$#" -gt 0 ]; then only=$(printf '"%s", ' "$@"); only="${only%, }"; fi
[ -x .venv/bin/mutmut ] || .venv/bin/python -m pip install --quiet -e ".[test,mutation]"
work="${MUTATION_DIR:-/tmp/siting-mutation}/$target"
if [ "$again" = 1 ] && [ -d "$work/mutants" ]; then
  # cp -p keeps the times: mutmut re-mutates a file only when its source is newer than its mutants.
  for dir in siting tests; do cp -rp "$dir/." "$work/$dir/"; done
  # Test files added since the first run join the selection (mutmut then collects their coverage).
  sed -i "s|^pytest_add_cli_args_test_selection = .*|pytest_add_cli_args_test_selection = [$tests]|" "$work/pyproject.toml"
else
  rm -rf "$work"
  mkdir -p "$work"
  cp -rp siting tests data scenarios examples "$work/"
  cp -p pyproject.toml "$work/"
  cat >> "$work/pyproject.toml" <<TOML

[tool.mutmut]
source_paths = ["siting/"]
only_mutate = [$only]
pytest_add_cli_args_test_selection = [$tests]
pytest_add_cli_args = ["-m", "not slow and not network", "-p", "mutation_plugin", "-p", "no:cacheprovider"]
also_copy = ["data/", "scenarios/", "examples/"]
TOML
fi
cd "$work"
echo "mutation testing of $only in $work"
# Fewer, fixed property examples per mutant: the run stays reproducible and within its time on 2 cores.
export SITING_PROPERTY_EXAMPLES="${SITING_PROPERTY_EXAMPLES:-12}" CI=true MPLBACKEND=Agg PYTHONPATH="$root/tools"
score=("$root/.venv/bin/python" "$root/tools/mutation_score.py" "$work")
only_names=()
for n in "${names[@]}"; do only_names+=(--only "$n"); done
if [ "$again" = 1 ] && [ -d mutants ]; then
  # Keep every result so far: the new test files change mutmut's configuration, and it then
  # forgets what it ran (tools/mutation_score.py reads previous.txt back).
  "${score[@]}" --dump > previous.txt.new && mv previous.txt.new previous.txt
  mapfile -t names < <("${score[@]}" "${only_names[@]}" --rerun)
  # After --sample: only the sampled mutants.
  if [ -s sample.txt ]; then mapfile -t names < <(printf '%s\n' "${names[@]}" | grep -Fxf sample.txt); fi
  echo "running ${#names[@]} mutants again"
  [ "${#names[@]}" -gt 0 ] || { "${score[@]}" "${only_names[@]}"; exit 0; }
fi
start=$(date +%s)
if [ "$sample" -gt 0 ]; then
  # Generate the mutants and record which tests reach which function (mutmut stops there: no name
  # matches), then draw the sample with a fixed seed: the same code gives the same sample.
  "$root/.venv/bin/mutmut" run --max-children "${MUTATION_CHILDREN:-2}" "__no_such_mutant__" > generate.log 2>&1 || true
  "${score[@]}" --rerun | "$root/.venv/bin/python" -c 'import random, sys
names = sorted(sys.stdin.read().split())
print("\n".join(random.Random(int(sys.argv[2])).sample(names, min(int(sys.argv[1]), len(names)))))' \
    "$sample" "${MUTATION_SEED:-11}" > sample.txt
  mapfile -t names < sample.txt
  echo "sampled ${#names[@]} mutants (list in $work/sample.txt)"
fi
"$root/.venv/bin/mutmut" run --max-children "${MUTATION_CHILDREN:-2}" "${names[@]}" > run.log 2>&1 || true
echo "mutmut ran $(( ($(date +%s) - start) / 60 )) min; log in $work/run.log"
tail -c 400 run.log | tr '\r' '\n' | tail -3
[ -s sample.txt ] && only_names+=(--names sample.txt)
"${score[@]}" "${only_names[@]}"
