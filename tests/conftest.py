"""Shared test settings. The fixtures themselves come from the shipped plugin ``defi_int.testing``.

Hypothesis runs derandomized under CI (``CI`` set), so a submission's result does not depend on
the draw; locally it explores new examples every run.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "defi",
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=bool(os.environ.get("CI")),
    database=None if os.environ.get("CI") else settings.default.database,
)
settings.load_profile("defi")
