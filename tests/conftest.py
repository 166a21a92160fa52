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


def pytest_collection_modifyitems(config, items):
    """The soak set (marker ``soak``: thousands of faults, tens of minutes) runs only when asked for
    (``pytest -m soak``): ``make test`` and any other selection leave it out."""
    if "soak" in (config.option.markexpr or ""):
        return
    kept = [item for item in items if item.get_closest_marker("soak") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item.get_closest_marker("soak")])
        items[:] = kept
