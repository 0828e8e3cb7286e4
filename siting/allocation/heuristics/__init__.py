"""Fast heuristics and bounds, one module per model family.

They give the MIP a good incumbent to start from, and serve alone when an instance is
too large for the MIP:

- :mod:`.cover`: greedy covering, swaps and Lagrangian bounds for LSCP / MCLP (and the
  set covers inside the p-center);
- :mod:`.median`: greedy, Teitz–Bart, iterated swaps and a Lagrangian bound for the p-median
  (compiled with numba);
- :mod:`.center`: farthest-first and vertex substitution for the p-center;
- :mod:`.capacitated`: greedy and swaps for capacitated models, each site filled as a knapsack;
- :mod:`.sites` and :mod:`.subgradient`: what they share (open masks, pairs by site, project
  matching; the subgradient step size).
"""
