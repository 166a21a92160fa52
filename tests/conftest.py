"""Shared test settings. The fixtures themselves come from the shipped plugin ``defi_int.testing``."""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "defi",
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("defi")
