"""The keeper's configuration: ``KeeperParams`` (a scenario's or a keeper file's ``[keeper]``) and the
deployment's ``SystemParams`` resolved per market, built in one place (``KeeperConfig.from_params``)
for the simulator, the bot and the studies.

A pricing mode an entry point cannot run is a ``ParamError`` naming ``pricing_mode`` (the paper's
modes price to the end of a session; the bot has none).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from defi_int.exceptions import ParamError
from defi_int.keeper.policy import PolicyParams
from defi_int.keeper.pricing import PricingParams
from defi_int.keeper.toxicity.models import ToxicityConfig
from defi_int.params import YEAR_SECONDS, KeeperParams, SystemParams
from defi_int.types import ONE

#: The declared defaults of the keeper's parameters (``defi_int.params.KeeperParams``).
_DECLARED = KeeperParams()


@dataclass(frozen=True)
class KeeperConfig:
    """The keeper's parameters: ``KeeperParams`` (the scenario's ``[keeper]``) resolved per market.

    The scalar fields are the declared parameters of the same name, with their declared defaults;
    ``from_params`` derives the whole configuration from the declaration.
    """

    pricing: dict[int, PricingParams]  # market -> pricing knobs
    risk_limits: dict[int, int]  # market -> |inventory| the desk may reach through internal fills
    soft_limits: dict[int, int | None]  # market -> hedge beyond this |inventory| (None: never)
    hedge_to: int = _DECLARED.hedge_to
    hedge_slippage_bps: int = _DECLARED.hedge_slippage_bps
    fee_bps: int = _DECLARED.fee_bps
    max_batch: int = _DECLARED.max_batch
    toxicity: ToxicityConfig = field(default_factory=ToxicityConfig)  # the model scoring orders at receipt
    policy: PolicyParams = field(default_factory=PolicyParams)  # how its predictions are priced
    max_resting: int = _DECLARED.max_resting  # orders the book holds at most
    max_resting_per_trader: int = _DECLARED.max_resting_per_trader  # orders one trader may have resting
    counterfactual_audit: bool = _DECLARED.counterfactual_audit  # re-match every batch (``keeper.audit``)

    @classmethod
    def from_params(
        cls,
        keeper: KeeperParams,
        system: SystemParams,
        volatility: Mapping[int, float],
        session: tuple[int, int] | None = None,
        *,
        seed: int = 0,
    ) -> KeeperConfig:
        """The configuration for the markets of ``system``; ``volatility`` is each market's annualized σ,
        used where ``keeper.volatility`` is None; ``session`` (start, end in unix seconds) is what the
        paper's pricing modes (``keeper.pricing_mode = "as"``, ``"as_symmetric"``) run to the end of;
        ``seed`` seeds the toxicity model (the scenario's seed).

        Those modes take σ in USD: the annualized σ times the market's initial price (exact for an
        ``abm`` path, whose moves are scaled by that price), as a variance per second.
        """
        if keeper.pricing_mode != "bps" and session is None:
            raise ParamError(
                "KeeperParams",
                "pricing_mode",
                f"{keeper.pricing_mode!r} prices to the end of a session, and a keeper bot runs without one; "
                "use 'bps' (the inventory skew over a constant horizon)",
            )
        start, end = session or (0, 0)
        pricing = {}
        for m in system.markets:
            sigma = volatility[m.market_id] if keeper.volatility is None else keeper.volatility
            pricing[m.market_id] = PricingParams(
                half_spread_bps=keeper.half_spread_bps,
                risk_aversion=keeper.risk_aversion,
                variance_per_second=sigma**2 / YEAR_SECONDS,
                horizon_seconds=keeper.horizon_seconds,
                max_deviation_bps=system.max_deviation_bps,
                min_edge_bps=keeper.min_edge_bps,
                price_scale=system.price_scale,
                mode=keeper.pricing_mode,
                price_variance_per_second=(sigma * m.price / ONE) ** 2 / YEAR_SECONDS,
                fill_decay=keeper.fill_decay,
                session_start=start,
                session_end=end,
            )
        same_name = {f.name for f in dataclasses.fields(cls)} & {f.name for f in dataclasses.fields(keeper)}
        return cls(
            pricing=pricing,
            risk_limits={m.market_id: keeper.risk_limit_for(m) for m in system.markets},
            soft_limits={m.market_id: keeper.soft_limit for m in system.markets},
            toxicity=ToxicityConfig.from_params(keeper, seed=seed),
            policy=PolicyParams.from_params(keeper),
            **{name: getattr(keeper, name) for name in same_name},
        )
