"""The keeper: intake, pricing, matching, routing, hedging, settlement and reconciliation.

``pricing``, ``matching`` and ``risk`` are the pure core (plain ints and the AMM mirror, no web3),
tested on their own; ``keeper.Keeper`` is the bot that runs them against a deployed system.
"""
