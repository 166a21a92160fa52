"""The internalization decision: a priced choice for every order a toxicity model scored.

DESIGN, keeper loop step 3. At receipt a model (``keeper.toxicity``) gave the order a probability
of being toxic and an expected markout ``μ`` at the toxicity horizon, in bps from the desk's side
(negative: the trader is expected to be right). When the planner first looks at the order, with the
desk's quote ``q`` for its remaining size, the oracle mark ``m`` and the AMM's quote for the same
size, ``decide`` prices the two ways out, in bps of the order's notional at the mark:

- **internalize**: ``ev_internal = μ − risk``. The label is the desk's markout at the price it
  quoted, so ``μ`` holds the spread it captures and what the price does after: the learned models
  predict the move apart (``Prediction.expected_move_bps``), and ``μ = spread + move`` at the quote
  the desk decides at (``spread``, the quote's distance from the mark on the desk's side; it may
  differ from the quote at receipt for an order that rested); otherwise ``μ`` is the prediction's;
  ``risk = γ·σ²·τ·(q_after² − q_before²) / (2·x)`` is the inventory-risk charge of the position
  change, per unit of the order's size ``x``: the change of the desk's inventory cost ``½·γ·σ²·τ·q²``
  (the risk aversion, the variance per second and the horizon of its pricing, inventory in whole
  base units; negative when the fill reduces risk). It is the cost the reservation price skews the
  quote by: at a skewed quote ``μ`` holds ``−q·γ·σ²·τ`` on the side that sheds inventory (``+`` on
  the other), and ``μ − risk`` gives back the spread and the information, less ``½·γ·σ²·τ·x``,
  whatever the inventory. So the model's markout at a skewed quote is not read as toxicity, and an
  order that sheds a large inventory is not turned away for the skew the desk chose to give it.
  Widening the quote by ``w`` bps adds ``w`` to what the fill earns;
- **route out**: ``route_cost``, the AMM's impact and fee for that size: how far the AMM's average
  price for it lies from the mark. It is what the trader would pay elsewhere, so it is also the
  most the desk may charge (best execution), the room it gives up by sending the order out.

The decision:

- **widen** first: an order expected to cost the desk (``ev_internal < 0``) has the shortfall priced
  into its quote, ``widen = −ev_internal`` bps, as far as the desk may go: at most
  ``keeper.toxicity_max_widen_bps``, never worse for the trader than the AMM's price for the size
  (``spread + widen ≤ route_cost``, the oracle band too: best execution binds as before), never past
  the order's limit (a widening the limit refuses would turn a fill into nothing). The desk quotes
  what it expects the order to be worth, so an uninformed trader whose order the model doubts still
  fills when the price it accepts covers the doubt;
- then ``ev_internal + widen ≥ edge`` (``keeper.toxicity_edge_bps``, at most 0 in practice: the
  expected loss the desk accepts after widening): **internalize** at the (widened) quote;
- otherwise nothing from inventory (``toxic`` when the expected markout is what makes the edge
  fall short, ``negative_edge`` when the inventory charge is): the remainder is **routed** to the
  AMM or **rests**, by the planner's usual rules;
- and the internal size is **capped by the score**: above ``p₀ = keeper.toxicity_cap_from`` at most
  ``(1 − p)/(1 − p₀)`` of the order's size, shrinking to nothing as ``p → 1`` (``partial``). The cap
  is on the whole order, what it has filled already counted against it: an order whose rest cannot
  go to the AMM rests after its capped part, instead of being granted the share again of what
  remains at every batch (a new, smaller leg each step until it expires: 0.6, 0.24, 0.1 ... of it).

The thresholds are parameters so that a study tunes them on seeds of its own
(``defi-int experiment toxicity``), as it tunes the per-trader rule's.

The per-trader rule (``trader_rule``) keeps today's decision (a trader judged toxic is routed
out, whole) and ``none`` decides nothing. Pure: floats for the statistics, the prices as given.
"""

from __future__ import annotations

from dataclasses import dataclass

from defi_int.keeper.pricing import PricingParams
from defi_int.keeper.toxicity.models import Prediction
from defi_int.keeper.trace import Decision
from defi_int.orders.rules import average_price
from defi_int.params import KeeperParams
from defi_int.reasons import Reason
from defi_int.types import BPS, ONE

#: The models whose predictions are priced (the per-trader rule decides by its verdict alone).
PRICED_MODELS = frozenset({"logistic", "gbdt"})

_DECLARED = KeeperParams()  # the one home of the thresholds' defaults


@dataclass(frozen=True)
class PolicyParams:
    """The policy's thresholds (the ``keeper.toxicity_edge_bps`` ... keys; see the module docstring)."""

    edge_bps: float = _DECLARED.toxicity_edge_bps
    max_widen_bps: float = _DECLARED.toxicity_max_widen_bps
    cap_from: float = _DECLARED.toxicity_cap_from

    @classmethod
    def from_params(cls, keeper: KeeperParams) -> PolicyParams:
        return cls(keeper.toxicity_edge_bps, keeper.toxicity_max_widen_bps, keeper.toxicity_cap_from)


@dataclass(frozen=True)
class Verdict:
    """What the policy allows for one order: the most it fills from inventory and how far it widens."""

    cap: int  # base units the desk may fill from its inventory (the remaining size: no cap)
    widen_bps: float  # how far the desk's quote moves in its favour (0: not widened)
    reason: Reason | None  # why ``cap`` is below the remaining size (None: it is not)
    detail: str
    decision: Decision


def decide(
    model: str,
    prediction: Prediction,
    *,
    is_buy: bool,
    remaining: int,
    mark: int,
    inventory: int,
    quote: int,
    amm_reference: int | None,
    params: PricingParams,
    policy: PolicyParams,
    limit: int | None = None,
    size: int | None = None,
) -> Verdict:
    """The priced decision for an order of ``remaining`` base units (see the module docstring).

    ``quote`` is the desk's price for the remaining size (1e18), ``amm_reference`` the AMM's quote
    for it in collateral units (None: the AMM cannot quote it: no room to widen into), ``limit``
    the order's limit price (1e18; None: no bound but the others), ``size`` the order's whole size
    (None: ``remaining``, nothing filled yet), which the score's cap is a share of.
    """
    side = 1.0 if is_buy else -1.0
    spread = side * (quote - mark) * BPS / mark
    route_cost = 0.0
    if amm_reference is not None:
        amm_price = average_price(amm_reference, remaining, params.price_scale, is_buy=is_buy)
        route_cost = side * (amm_price - mark) * BPS / mark
    room = min(route_cost, float(params.max_deviation_bps))
    before = inventory / ONE
    after = before + (-remaining if is_buy else remaining) / ONE
    per_unit = (after * after - before * before) / (2 * remaining / ONE) if remaining else 0.0
    risk = params.risk_aversion * params.variance_per_second * params.horizon_seconds * per_unit * BPS
    move = prediction.expected_move_bps
    markout = prediction.expected_markout_bps if move is None else spread + move
    ev = markout - risk
    reach = side * (limit - quote) * BPS / mark if limit is not None else float(policy.max_widen_bps)
    widen = max(0.0, min(-ev, float(policy.max_widen_bps), room - spread, reach))
    p = prediction.p_toxic
    share = 1.0 if p <= policy.cap_from else max(0.0, (1.0 - p) / (1.0 - policy.cap_from))
    whole = remaining if size is None else size
    cap = remaining if share >= 1.0 else max(0, min(remaining, int(whole * share) - (whole - remaining)))
    reason, detail = None, ""
    if ev + widen < policy.edge_bps:
        cap = 0
        reason = Reason.TOXIC if markout < 0 and -markout >= risk else Reason.NEGATIVE_EDGE
        detail = (
            f"filling it would earn the desk {ev:.1f} bps (spread {spread:.1f}, expected markout {markout:.1f}, "
            f"inventory risk {risk:.1f}), {ev + widen:.1f} at the widest quote it may give ({widen:.1f} bps wider: "
            f"the desk's {policy.max_widen_bps:.0f} bps, the AMM's {route_cost:.1f} bps for the size and the "
            f"order's limit bound it), below the desk's edge of {policy.edge_bps:.1f} bps"
        )
        widen = 0.0
    elif cap < remaining:
        reason = Reason.TOXIC
        detail = f"the score ({prediction.p_toxic:.2f} toxic) caps the desk at {share:.0%} of the order's size"
        if whole > remaining:
            detail += f", {whole - remaining} of it filled already"
    decision = Decision(
        model, prediction.p_toxic, markout, spread, risk, ev, route_cost, widen, cap / remaining if remaining else 0.0
    )
    return Verdict(cap, widen, reason, detail, decision)
