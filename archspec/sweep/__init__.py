"""Design-space sweeps: a search-space file over a base spec, sampled, every candidate analysed
and linted without torch (through a cache the sweep owns), filtered, ranked on a Pareto front,
journaled so an interrupted sweep resumes, on a local process pool or a Ray cluster.

``archspec sweep SPACE`` is the command line; docs/sweeps.md walks through one.
"""
