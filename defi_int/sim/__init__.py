"""Simulation: scenario files (``scenario.py``, validated through ``schema.py``) and, later, the runner.

A scenario TOML fixes seed, clock, markets and their price paths, keeper parameters, trader
populations, arbitrageurs, oracle cadence and chain backend; ``load_scenario`` turns it into a
frozen ``Scenario`` or raises one ``ScenarioError`` naming the file and key.
"""
