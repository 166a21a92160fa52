"""Simulation: scenarios, the agents that act in them, and the runner that plays them on a chain.

- ``scenario`` (validated through ``schema``): a TOML file fixes seed, clock, markets and their
  price paths, keeper parameters, trader populations, arbitrageurs, oracle cadence and backend;
  each key is a declared parameter (``defi_int.params``); ``load_scenario`` turns the file into a
  frozen ``Scenario`` or raises one ``ScenarioError``, before anything is deployed.
- ``agents``: what noise traders, informed traders and arbitrageurs decide at a step.
- ``runner``: ``run_scenario`` deploys, drives agents and keeper step by step, and returns a
  ``RunResult``; ``recorder`` turns the keeper's outcomes into the metrics' records.
"""
