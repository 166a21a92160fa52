"""The report's six charts, drawn from a ``RunResult`` into PNG bytes.

Each ``*_figure`` function builds a ``matplotlib.figure.Figure`` from the records (no pyplot, no
global state, the Agg canvas attached explicitly), ``png_bytes`` renders it without the software
version in the PNG metadata, and ``render_plots`` returns all six by file name for ``report`` to
write and embed. The x axis is the scenario step; amounts are converted to floats (whole units,
tokens, USD) only here, for drawing. A chart without data still renders, with a "no data" note.

- ``inventory.png``: desk position per market, with the Vault cap and keeper soft limit if given.
- ``prices.png``: oracle, AMM mid and index price per market, fills as markers by venue.
- ``pnl.png``: cumulative PnL parts and their total.
- ``markouts.png``: size-weighted markout (bps) against horizon, all internal fills and per type.
- ``deviation.png``: histograms of fill deviation from the oracle and of AMM mid vs oracle.
- ``nav.png``: the desk's NAV per share (whole tokens per share) and its shares outstanding.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from defi_int.market.shares import OFFSET
from defi_int.metrics.fills import deviation_bps
from defi_int.metrics.markouts import markout_curve, markouts_by_type
from defi_int.metrics.output import write_atomic
from defi_int.metrics.pnl import PARTS, PnlPoint, cumulative_pnl
from defi_int.metrics.records import RunResult
from defi_int.metrics.timeseries import amm_oracle_deviation_bps, nav_per_share
from defi_int.types import ONE

PLOT_FILES: tuple[str, ...] = ("inventory.png", "prices.png", "pnl.png", "markouts.png", "deviation.png", "nav.png")
WIDTH, HEIGHT, DPI = 9.0, 4.5, 100


def _figure(height: float = HEIGHT) -> Figure:
    figure = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _no_data(axes: Axes, what: str = "no data") -> None:
    axes.text(0.5, 0.5, what, ha="center", va="center", transform=axes.transAxes, color="grey", fontsize=14)


def _step_label(result: RunResult) -> str:
    return f"step ({result.block_time} s each)"


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG bytes, without a software version in the metadata."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _markets(result: RunResult) -> list[int]:
    return sorted({point.market for point in result.timeseries} | {fill.market for fill in result.fills})


def inventory_figure(
    result: RunResult, *, caps: Mapping[int, int] | None = None, soft_limits: Mapping[int, int] | None = None
) -> Figure:
    """Desk inventory per market over steps; ``caps``/``soft_limits`` are market -> base units (1e18)."""
    figure = _figure()
    axes = figure.add_subplot()
    axes.set_title("Desk inventory")
    axes.set_xlabel(_step_label(result))
    axes.set_ylabel("position (base units)")
    markets = sorted({point.market for point in result.timeseries})
    if not markets:
        _no_data(axes)
        return figure
    for market in markets:
        points = [point for point in result.timeseries if point.market == market]
        (line,) = axes.plot([p.step for p in points], [p.inventory / ONE for p in points], label=f"market {market}")
        colour = line.get_color()
        for limits, style, name in ((caps, "--", "cap"), (soft_limits, ":", "soft limit")):
            if limits and market in limits:
                level = limits[market] / ONE
                axes.axhline(level, color=colour, linestyle=style, linewidth=1, label=f"market {market} {name}")
                axes.axhline(-level, color=colour, linestyle=style, linewidth=1)
    axes.axhline(0, color="black", linewidth=0.5)
    axes.legend(loc="best", fontsize="small")
    return figure


def prices_figure(result: RunResult) -> Figure:
    """Oracle vs AMM mid (and the index path) per market, with fill prices as markers by venue."""
    markets = _markets(result)
    figure = _figure(max(HEIGHT, 3.2 * len(markets)))
    if not markets:
        axes = figure.add_subplot()
        axes.set_title("Prices")
        axes.set_xlabel(_step_label(result))
        axes.set_ylabel("price (USD per base unit)")
        _no_data(axes)
        return figure
    for row, market in enumerate(markets, start=1):
        axes = figure.add_subplot(len(markets), 1, row)
        axes.set_title(f"Prices, market {market}")
        axes.set_ylabel("price (USD per base unit)")
        points = [point for point in result.timeseries if point.market == market]
        steps = [p.step for p in points]
        axes.plot(steps, [p.index_price / ONE for p in points], label="index", color="grey", linestyle="--", lw=0.8)
        axes.plot(steps, [p.oracle_price / ONE for p in points], label="oracle", color="tab:blue")
        axes.plot(steps, [p.amm_mid / ONE for p in points], label="AMM mid", color="tab:orange")
        for venue, marker, colour in (("internal", "o", "tab:green"), ("amm", "x", "tab:red")):
            fills = [fill for fill in result.fills if fill.market == market and fill.venue == venue]
            if fills:
                steps_prices = ([f.step for f in fills], [f.price / ONE for f in fills])
                axes.scatter(*steps_prices, marker=marker, s=14, color=colour, label=f"{venue} fills", zorder=3)
        axes.legend(loc="best", fontsize="small")
    axes.set_xlabel(_step_label(result))
    return figure


def pnl_figure(result: RunResult, points: Sequence[PnlPoint] | None = None) -> Figure:
    """Cumulative PnL parts and total over steps, in collateral tokens."""
    points = cumulative_pnl(result) if points is None else points
    figure = _figure()
    axes = figure.add_subplot()
    axes.set_title("Cumulative PnL of the desk")
    axes.set_xlabel(_step_label(result))
    axes.set_ylabel("PnL (collateral tokens)")
    if not points:
        _no_data(axes)
        return figure
    tokens = 10**result.decimals
    steps = [p.step for p in points]
    for name in PARTS:
        axes.plot(steps, [getattr(p, name) / tokens for p in points], label=name)
    totals = [p.total / tokens for p in points]
    axes.plot(steps, totals, label="total", color="black", linewidth=2)
    axes.axhline(0, color="black", linewidth=0.5)
    axes.legend(loc="best", fontsize="small")
    return figure


def markouts_figure(result: RunResult) -> Figure:
    """Size-weighted markout (desk's side, bps) against horizon, all internal fills and per trader type."""
    figure = _figure()
    axes = figure.add_subplot()
    axes.set_title("Markouts of internal fills (negative = adverse selection)")
    axes.set_xlabel("horizon (steps)")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("markout (bps)")
    horizons = result.markout_horizons
    curves = {"all": markout_curve(result.fills, result.timeseries, horizons)}
    curves.update(markouts_by_type(result.fills, result.timeseries, horizons))
    drawn = False
    for name, curve in curves.items():
        defined = [(h, m) for h, m in curve.items() if m is not None]
        if defined:
            colour, width = ("black", 2.0) if name == "all" else (None, 1.5)
            axes.plot([h for h, _ in defined], [m for _, m in defined], marker="o", label=name, color=colour, lw=width)
            drawn = True
    if not drawn:
        _no_data(axes)
        return figure
    axes.axhline(0, color="black", linewidth=0.5)
    axes.legend(loc="best", fontsize="small")
    return figure


def deviation_figure(result: RunResult) -> Figure:
    """Histograms: fill price vs oracle by venue, and AMM mid vs oracle over the time series (bps)."""
    figure = _figure()
    fills_axes, amm_axes = figure.subplots(1, 2)
    fills_axes.set_title("Fill price vs oracle")
    fills_axes.set_xlabel("deviation (bps)")
    fills_axes.set_ylabel("fills")
    by_venue = {
        venue: [d for f in result.fills if f.venue == venue and (d := deviation_bps(f)) is not None]
        for venue in ("internal", "amm")
    }
    present = {venue: values for venue, values in by_venue.items() if values}
    if present:
        fills_axes.hist(list(present.values()), bins=30, label=list(present), stacked=True)
        fills_axes.legend(loc="best", fontsize="small")
    else:
        _no_data(fills_axes)
    amm_axes.set_title("AMM mid vs oracle")
    amm_axes.set_xlabel("deviation (bps)")
    amm_axes.set_ylabel("market steps")
    deviations = [d for p in result.timeseries if (d := amm_oracle_deviation_bps(p)) is not None]
    if deviations:
        amm_axes.hist(deviations, bins=30, color="tab:orange")
    else:
        _no_data(amm_axes)
    return figure


def nav_figure(result: RunResult) -> Figure:
    """The desk's NAV per share (whole tokens per share) over steps, and its shares outstanding."""
    figure = _figure()
    axes = figure.add_subplot()
    axes.set_title("The desk's NAV per share")
    axes.set_xlabel(_step_label(result))
    axes.set_ylabel("NAV per share (tokens)")
    steps = sorted({p.step: p for p in result.timeseries if p.total_shares}.items())
    if not steps:
        _no_data(axes)
        return figure
    axes.plot([s for s, _ in steps], [nav_per_share(p) for _, p in steps], color="black", label="NAV per share")
    shares = axes.twinx()
    shares.set_ylabel("shares outstanding (whole shares)")
    whole = 10**result.decimals * OFFSET
    shares.plot([s for s, _ in steps], [p.total_shares / whole for _, p in steps], color="tab:blue", lw=0.8)
    axes.legend(loc="upper left", fontsize="small")
    return figure


def render_plots(
    result: RunResult,
    *,
    points: Sequence[PnlPoint] | None = None,
    caps: Mapping[int, int] | None = None,
    soft_limits: Mapping[int, int] | None = None,
) -> dict[str, bytes]:
    """All six charts as PNG bytes, keyed by file name in ``PLOT_FILES`` order."""
    figures = {
        "inventory.png": inventory_figure(result, caps=caps, soft_limits=soft_limits),
        "prices.png": prices_figure(result),
        "pnl.png": pnl_figure(result, points),
        "markouts.png": markouts_figure(result),
        "deviation.png": deviation_figure(result),
        "nav.png": nav_figure(result),
    }
    return {name: png_bytes(figure) for name, figure in figures.items()}


def write_plots(
    result: RunResult,
    out_dir: Path,
    *,
    caps: Mapping[int, int] | None = None,
    soft_limits: Mapping[int, int] | None = None,
) -> dict[str, Path]:
    """Renders all six charts first, then writes each atomically into ``out_dir``."""
    images = render_plots(result, caps=caps, soft_limits=soft_limits)
    return {name: write_atomic(out_dir / name, data) for name, data in images.items()}
