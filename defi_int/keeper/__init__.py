"""The keeper: it decides, a venue carries its decisions out. Pure: no web3, no chain import.

- ``pricing``, ``matching``, ``risk``: the desk's price, netting and routing, hedging and toxicity;
- ``toxicity``: every order's features and toxicity score at receipt, and the models that learn
  them online from the desk's markouts (per-trader rule, logistic, gradient-boosted trees);
- ``book``: the bounded book of resting orders and fair selection (marketability, price, time);
- ``plan``: the typed plan, one ``PlannedFill`` per fill (digest and expected legs);
- ``venue``: the interface a venue implements (snapshot, simulate, settle, hedge) and its types;
- ``keeper``: ``Keeper``, the loop's steps (intake, select, plan, validate, settle, reconcile,
  hedge) over a venue; ``defi_int.chain.venue.ChainVenue`` is the chain's, ``mirror.MirrorVenue``
  one on the Python mirrors of the contracts.

The settle rules the planner decides by are ``defi_int.orders.rules``, shared with the validator.
"""
