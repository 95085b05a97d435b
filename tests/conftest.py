"""Suite-wide configuration: hypothesis profiles.

``ARCHSPEC_HYPOTHESIS_PROFILE`` picks one (default ``dev``); CI sets ``ci``.

* ``dev``: quick feedback, 25 examples per cheap property (property tests that build torch
  modules run a sixth of that, at least 10; see ``tests/property/_support.py``), random seeds
  and the local example database, so a failure found once is replayed first next time.
* ``ci``: derandomized (the same examples on every run and machine), no example database, 300
  examples per cheap property and 50 per module-building one.

No deadlines: the first example of a run pays for imports and torch's lazy initialisation.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE_VARIABLE = "ARCHSPEC_HYPOTHESIS_PROFILE"

settings.register_profile(
    "ci", max_examples=300, derandomize=True, database=None, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev", max_examples=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get(PROFILE_VARIABLE, "dev"))
