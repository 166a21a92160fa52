"""Every chart of the run report, as an interactive plotly figure built from the run's frames.

Each ``*_chart`` takes ``metrics.frames.Frames`` (the run in decimal units) or the summary and
returns a ``plotly.graph_objects.Figure``; ``metrics.sections`` places them in the report and
``metrics.html.chart`` writes them into the page. The x axis of a time chart is the scenario step;
every chart zooms (drag), pans, shows values on hover and toggles a series from its legend, and a
chart without data says "no data" instead of drawing empty axes.

- ``prices_chart``: per market, the index path, the oracle and the AMM mid, fills as markers by venue;
- ``inventory_chart``: the desk's position per market, with the Vault's cap and the keeper's soft limit;
- ``pnl_chart``: the cumulative PnL parts and their total; ``pnl_waterfall``: the parts adding up;
- ``markouts_chart``: size-weighted markout against horizon, all internal fills and per trader type;
- ``deviation_chart``: fill prices against the oracle by venue, and the AMM mid against the oracle;
- ``nav_chart``: the desk's NAV per share and its shares outstanding (its depositors).

A run of many fills draws at most ``MAX_MARKERS`` fill markers per venue (evenly spaced in chain
order, said in the legend), so a large run keeps a light, fast page. Markers are SVG, not WebGL: a
browser without a GPU (or with WebGL off) draws them too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

if TYPE_CHECKING:
    import pandas as pd

    from defi_int.metrics.frames import Frames

MAX_MARKERS = 5_000
HEIGHT = 420
COLOURS = {
    "spread": "#2ca02c",
    "inventory": "#1f77b4",
    "fees": "#9467bd",
    "hedging": "#d62728",
    "funding": "#ff7f0e",
    "liquidations": "#8c564b",
    "total": "#111111",
}


def layout(figure: go.Figure, title: str, x: str, y: str, *, height: int = HEIGHT) -> go.Figure:
    """The common look: a white template, the title, axis titles with units, a legend on top."""
    figure.update_layout(
        template="plotly_white",
        title={"text": title, "x": 0, "xanchor": "left"},
        height=height,
        margin={"l": 70, "r": 20, "t": 70, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        hovermode="closest",
    )
    figure.update_xaxes(title_text=x)
    figure.update_yaxes(title_text=y)
    return figure


def no_data(figure: go.Figure, text: str = "no data") -> go.Figure:
    figure.add_annotation(text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font={"size": 18})
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def _steps(block_time: int) -> str:
    return f"step ({block_time} s each)"


def _sample(frame: pd.DataFrame, limit: int = MAX_MARKERS) -> tuple[pd.DataFrame, str]:
    """At most ``limit`` rows, evenly spaced; a legend note when rows were left out."""
    if len(frame) <= limit:
        return frame, ""
    step = len(frame) / limit
    return frame.iloc[[int(i * step) for i in range(limit)]], f" ({limit:,} of {len(frame):,} shown)"


def prices_chart(frames: Frames, block_time: int) -> go.Figure:
    """Index, oracle and AMM mid per market, fills as markers by venue (USD per base unit)."""
    series, fills = frames.timeseries, frames.fills
    markets = sorted(set(series["market"]) | set(fills["market"]))
    if not markets:
        return no_data(layout(go.Figure(), "Prices", _steps(block_time), "USD per base unit"))
    figure = make_subplots(
        rows=len(markets), cols=1, shared_xaxes=True, subplot_titles=[f"market {m}" for m in markets]
    )
    for row, market in enumerate(markets, start=1):
        points = series[series["market"] == market]
        first = row == 1
        for name, column, style in (
            ("index", "index_price", {"color": "grey", "dash": "dash", "width": 1}),
            ("oracle", "oracle_price", {"color": "#1f77b4", "width": 1.5}),
            ("AMM mid", "amm_mid", {"color": "#ff7f0e", "width": 1.5}),
        ):
            figure.add_trace(
                go.Scatter(
                    x=points["step"], y=points[column], name=name, mode="lines", line=style,
                    legendgroup=name, showlegend=first,
                ),
                row=row, col=1,
            )  # fmt: skip
        for venue, symbol, colour in (("internal", "circle", "#2ca02c"), ("amm", "x", "#d62728")):
            mine, note = _sample(fills[(fills["market"] == market) & (fills["venue"] == venue)])
            if mine.empty:
                continue
            figure.add_trace(
                go.Scatter(
                    x=mine["step"], y=mine["price"], mode="markers", name=f"{venue} fills{note}",
                    marker={"symbol": symbol, "size": 6, "color": colour}, legendgroup=venue, showlegend=first,
                    customdata=mine[["side", "size", "trader_type", "deviation_bps"]].to_numpy(),
                    hovertemplate="step %{x}<br>%{customdata[0]} %{customdata[1]:.4f} at %{y:,.4f}"
                    "<br>%{customdata[2]}, %{customdata[3]:.2f} bps from the oracle<extra>" + venue + "</extra>",
                ),
                row=row, col=1,
            )  # fmt: skip
        figure.update_yaxes(title_text="USD per base unit", row=row, col=1)
    layout(figure, "Prices: oracle, AMM mid and fills", "", "USD per base unit", height=max(HEIGHT, 300 * len(markets)))
    figure.update_xaxes(title_text=_steps(block_time), row=len(markets), col=1)
    figure.update_layout(hovermode="x")
    return figure


def inventory_chart(
    frames: Frames, block_time: int, caps: Mapping[int, float] | None = None, soft: Mapping[int, float] | None = None
) -> go.Figure:
    """The desk's position per market (base units); ``caps``/``soft`` (base units) as dashed/dotted levels."""
    figure = layout(go.Figure(), "Desk inventory", _steps(block_time), "position (base units)")
    series = frames.timeseries
    markets = sorted(set(series["market"]))
    if not markets:
        return no_data(figure)
    for market in markets:
        points = series[series["market"] == market]
        figure.add_trace(go.Scatter(x=points["step"], y=points["inventory"], mode="lines", name=f"market {market}"))
        for levels, dash, label in ((caps, "dash", "cap"), (soft, "dot", "soft limit")):
            if levels and market in levels:
                level = levels[market]
                for sign in (1, -1):
                    figure.add_hline(y=sign * level, line_dash=dash, line_width=1, line_color="grey")
                figure.add_annotation(
                    x=1, xref="paper", y=level, text=f"market {market} {label} ±{level:g}", showarrow=False,
                    xanchor="right", yanchor="bottom", font={"size": 10, "color": "grey"},
                )  # fmt: skip
    figure.add_hline(y=0, line_width=0.5, line_color="black")
    figure.update_layout(hovermode="x unified")
    return figure


def _per_step(series: pd.DataFrame) -> pd.DataFrame:
    """One row per step (the PnL columns repeat across markets)."""
    return series.drop_duplicates("step")


def pnl_chart(frames: Frames, block_time: int, parts: tuple[str, ...]) -> go.Figure:
    """The cumulative PnL parts and their total, in collateral tokens, at the end of every step."""
    figure = layout(go.Figure(), "Cumulative PnL of the desk", _steps(block_time), "PnL (collateral tokens)")
    series = _per_step(frames.timeseries)
    if series.empty:
        return no_data(figure)
    for name in (*parts, "total"):
        width = 2.5 if name == "total" else 1.5
        figure.add_trace(
            go.Scatter(
                x=series["step"], y=series[f"pnl_{name}"], mode="lines", name=name,
                line={"color": COLOURS.get(name), "width": width},
            )
        )  # fmt: skip
    figure.add_hline(y=0, line_width=0.5, line_color="black")
    figure.update_layout(hovermode="x unified")
    return figure


def pnl_waterfall(breakdown: Mapping[str, float], total: float, unit: str = "collateral tokens") -> go.Figure:
    """The parts of the PnL adding up to its total."""
    names = list(breakdown)
    figure = go.Figure(
        go.Waterfall(
            x=[*names, "total"], y=[*breakdown.values(), total], measure=["relative"] * len(names) + ["total"],
            connector={"line": {"color": "#999", "width": 1}}, textposition="outside",
            text=[f"{v:,.2f}" for v in (*breakdown.values(), total)],
            increasing={"marker": {"color": "#2ca02c"}}, decreasing={"marker": {"color": "#d62728"}},
            totals={"marker": {"color": "#444"}},
        )
    )  # fmt: skip
    return layout(figure, "Where the PnL came from", "", f"PnL ({unit})", height=360)


def markouts_chart(summary: Mapping[str, Any]) -> go.Figure:
    """Size-weighted markout (the desk's side, bps) against horizon: all internal fills, and per type."""
    figure = layout(
        go.Figure(), "Markouts of internal fills (negative: adverse selection)", "horizon (steps)", "markout (bps)"
    )
    curves = {"all": summary["markouts_bps"], **summary["markouts_bps_by_type"]}
    drawn = False
    for name, curve in curves.items():
        defined = [(int(h), m) for h, m in curve.items() if m is not None]
        if not defined:
            continue
        drawn = True
        line = {"color": "black", "width": 2.5} if name == "all" else {"width": 1.5}
        figure.add_trace(
            go.Scatter(x=[h for h, _ in defined], y=[m for _, m in defined], mode="lines+markers", name=name, line=line)
        )
    if not drawn:
        return no_data(figure)
    figure.add_hline(y=0, line_width=0.5, line_color="black")
    figure.update_xaxes(tickmode="array", tickvals=[int(h) for h in summary["markouts_bps"]])
    return figure


def deviation_chart(frames: Frames) -> go.Figure:
    """Histograms: fill price against the oracle by venue, and the AMM mid against the oracle (bps)."""
    figure = make_subplots(rows=1, cols=2, subplot_titles=("Fill price vs oracle", "AMM mid vs oracle"))
    fills, series = frames.fills, frames.timeseries
    drawn = False
    for venue, colour in (("internal", "#2ca02c"), ("amm", "#d62728")):
        values = fills.loc[fills["venue"] == venue, "deviation_bps"].dropna()
        if len(values):
            drawn = True
            figure.add_trace(
                go.Histogram(x=values, name=f"{venue} fills", marker_color=colour, nbinsx=40), row=1, col=1
            )
    deviations = series["amm_oracle_deviation_bps"].dropna()
    if len(deviations):
        drawn = True
        figure.add_trace(
            go.Histogram(x=deviations, name="market steps", marker_color="#ff7f0e", nbinsx=40), row=1, col=2
        )
    layout(figure, "Deviation from the oracle", "", "", height=400)
    if not drawn:
        return no_data(figure)
    figure.update_layout(barmode="stack", legend={"y": -0.22, "yanchor": "top", "x": 0.5, "xanchor": "center"})
    figure.update_xaxes(title_text="deviation (bps)")
    figure.update_yaxes(title_text="fills", row=1, col=1)
    figure.update_yaxes(title_text="market steps", row=1, col=2)
    return figure


def nav_chart(points: list[tuple[int, float, float]], block_time: int) -> go.Figure:
    """The desk's NAV per share (tokens) and its shares outstanding (whole shares) at the end of every
    step, from ``(step, nav_per_share, shares)`` points (steps without shares are left out)."""
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    layout(figure, "The desk's NAV per share", _steps(block_time), "NAV per share (tokens)")
    if not points:
        return no_data(figure)
    steps = [step for step, _, _ in points]
    figure.add_trace(
        go.Scatter(x=steps, y=[nav for _, nav, _ in points], mode="lines", name="NAV per share",
                   line={"color": COLOURS["total"], "width": 2}),
        secondary_y=False,
    )  # fmt: skip
    figure.add_trace(
        go.Scatter(x=steps, y=[shares for _, _, shares in points], mode="lines", name="shares outstanding",
                   line={"color": COLOURS["inventory"], "width": 1}),
        secondary_y=True,
    )  # fmt: skip
    figure.update_yaxes(title_text="shares outstanding (whole shares)", secondary_y=True)
    figure.update_layout(hovermode="x unified")
    return figure
