"""Fixtures of the keeper's tests: a mirror world (see ``mirror_world``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from mirror_world import World, make_world


@pytest.fixture(name="make_world")
def make_world_fixture() -> Callable[..., World]:
    """``mirror_world.make_world``: a world configured by the test."""
    return make_world


@pytest.fixture
def world() -> World:
    """A mirror world with the default keeper."""
    return make_world()
