"""Shared pytest configuration.

Hypothesis draws the same examples on every run (``derandomize``), so the suite is a
deterministic gate; ``HYPOTHESIS_PROFILE=explore`` draws fresh random examples to look for new
failures, which are then pinned with ``@example``.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
