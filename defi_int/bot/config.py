"""The bot service's configuration: what the API accepts, its limits, the loop's cadence, the breakers.

``ServiceConfig`` is built by whoever starts the service (the ``defi-int keeper`` command reads the
deployment file and the keeper's TOML into it; the tests build it directly). It holds only plain
values: the EIP-712 ``Domain`` of the deployment, its listed markets, the keeper's pricing knobs
and risk limits per market (for quotes), the API's limits and the breakers' thresholds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from defi_int.bot.breakers import BreakerConfig
from defi_int.exceptions import ConfigError
from defi_int.keeper.pricing import PricingParams
from defi_int.orders.eip712 import Domain

#: The environment variable holding the admin token (kill switch); unset disables the admin endpoint.
ADMIN_TOKEN_ENV = "DEFI_INT_ADMIN_TOKEN"


@dataclass(frozen=True)
class ApiLimits:
    """What one client may send."""

    max_body_bytes: int = 8_192  # a signed order is ~600 bytes of JSON
    orders_per_second: float = 20.0  # per trader, sustained (token bucket)
    burst: int = 40  # per trader, at once
    max_resting_per_trader: int = 200  # live orders (resting or partially filled) per trader
    max_cancel_window: int = 86_400  # a cancel's deadline may be at most this many seconds ahead

    def __post_init__(self) -> None:
        if self.max_body_bytes < 512:
            raise ConfigError(f"api.max_body_bytes must be at least 512, got {self.max_body_bytes}")
        if not self.orders_per_second > 0 or self.burst < 1:
            raise ConfigError("api.orders_per_second must be positive and api.burst at least 1")
        if self.max_resting_per_trader < 1:
            raise ConfigError(f"api.max_resting_per_trader must be at least 1, got {self.max_resting_per_trader}")
        if self.max_cancel_window < 1:
            raise ConfigError(f"api.max_cancel_window must be positive seconds, got {self.max_cancel_window}")


@dataclass(frozen=True)
class ServiceConfig:
    """Everything the API and the breakers need; see the module docstring."""

    domain: Domain
    markets: tuple[int, ...]  # the deployment's listed markets
    pricing: Mapping[int, PricingParams]  # market -> the keeper's pricing knobs (quotes)
    risk_limits: Mapping[int, int]  # market -> |inventory| the desk may reach through internal fills
    loop_interval: float = 1.0  # seconds between loop iterations (/healthz allows 5x)
    limits: ApiLimits = field(default_factory=ApiLimits)
    breakers: BreakerConfig = field(default_factory=BreakerConfig)

    def __post_init__(self) -> None:
        if not self.loop_interval > 0:
            raise ConfigError(f"loop_interval must be positive seconds, got {self.loop_interval}")
        unpriced = [m for m in self.markets if m not in self.pricing]
        if unpriced:
            raise ConfigError(f"markets {unpriced} have no pricing parameters")
