"""``defi-int experiment toxicity``: the internalization decision proved on held-out flow.

Four policies, ``none``, ``trader_rule``, ``logistic`` and ``gbdt`` (``keeper.toxicity_model``), and
variants of them with some thresholds held fixed (by default ``gbdt_no_widen``: the gbdt that never
widens a quote, so declining is its only act), on the same order flow of each scenario ("case"),
compared the way ``compare`` compares two: paired by seed, every run's ``flow_digest`` checked
equal within a seed. Data flow::

    plan(cases, sets, seeds, tune_seeds, grid)   every case, --set and grid value checked first
        │   tuning seeds: the case's seed + TUNE_OFFSET + j; evaluation seeds: its seed + i (disjoint)
        ▼
    tune (on the tuning seeds only): a coordinate search over each policy's thresholds (GRIDS):
        │   one Dask batch per axis, each value tried with the others at their best so far; the
        │   best is the highest mean desk PnL among the candidates **fair** to the uninformed
        │   traders (their internal volume at least (1 − fair_volume) of ``none``'s on the same
        │   seeds, the issue's aim; with ``fair_spread``, also their effective spread at most that
        │   many bps above ``none``'s), else the least unfair
        ▼
    evaluate (on the evaluation seeds only): each policy at its tuned thresholds
        ▼
    toxicity_tables (summary, paired differences, reliability, signal) ─▶ toxicity_report

Runs go through ``engine.run_specs`` with ``toxicity_runs.measure`` (the ledger ``runs.jsonl``
makes a study resumable; a candidate tried twice runs once). A case is a scenario file, optionally
with overrides of its own (``FILE:KEY=VALUE,KEY=VALUE``, commas inside brackets kept), so a
scenario and its variant sit in one table; ``--set`` applies to every case. Without cases the
shipped ones run (``DEFAULT_CASES``): informed flow as shipped and with the informed traders'
order attributes made identical to the noise traders', rotating addresses with and without the
noise traders rotating too, and speed on a lagging oracle.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from defi_int.exceptions import ScenarioError
from defi_int.research.runs import Ledger, Row, RunSpec, code_version, read_spec
from defi_int.research.sweep import parse_grid, split_values
from defi_int.sim.schema import SET

MODELS: Final = ("none", "trader_rule", "logistic", "gbdt")
#: Policies besides the four: (name, model, thresholds held fixed).
DEFAULT_VARIANTS: Final = (("gbdt_no_widen", "gbdt", (("keeper.toxicity_max_widen_bps", "0"),)),)
#: The tuning seeds start this far above the case's seed; ``--seeds`` is at most this, so the
#: evaluation seeds (the case's seed and up) never reach them.
TUNE_OFFSET: Final = 1_000_000
GRID = "--grid"
VARIANT = "--variant"


@dataclass(frozen=True)
class Axis:
    """One threshold of a policy and the values the tuning tries, the starting one first."""

    key: str
    values: tuple[str, ...]


#: The learned models' thresholds. The first full experiment tuned most edges to -30 bps and most
#: widenings to 25, the ends of its grid; the second, to -50 and 50: the grid reaches past both.
_LEARNED: Final = (
    Axis("keeper.toxicity_edge_bps", ("-10", "-20", "-30", "-5", "0", "-50", "-80")),
    Axis("keeper.toxicity_max_widen_bps", ("0", "10", "25", "50", "100")),
    Axis("keeper.toxicity_cap_from", ("1", "0.8")),
)
#: Every threshold of every policy, and the values the tuning tries.
GRIDS: Final[Mapping[str, tuple[Axis, ...]]] = {
    "none": (),
    "trader_rule": (
        Axis("keeper.toxicity_threshold_bps", ("10", "5", "20")),
        Axis("keeper.toxicity_min_fills", ("5", "3", "10")),
    ),
    "logistic": _LEARNED,
    "gbdt": _LEARNED,
}

_SHIPPED: Final = Path(__file__).resolve().parents[2] / "scripts" / "scenarios"
#: The shipped cases (``FILE:overrides``) when none is given.
DEFAULT_CASES: Final = (
    str(_SHIPPED / "informed_flow.toml"),
    str(_SHIPPED / "informed_flow.toml")
    + ":traders[1].limit_rule=offset,traders[1].expiry_steps=[1,4],shuffle_arrivals=true",
    str(_SHIPPED / "rotating_informed.toml"),
    str(_SHIPPED / "rotating_informed.toml") + ":traders[0].rotate_every=1",
    str(_SHIPPED / "lagging_oracle.toml"),
)


@dataclass(frozen=True)
class Fairness:
    """How much a tuned policy may cost the uninformed traders against ``none``, on the tuning seeds."""

    volume: float = 0.02  # the share of their internal volume it may lose (the aim)
    spread_bps: float = math.inf  # how far their average effective spread may rise (inf: no bound)


@dataclass(frozen=True)
class Case:
    """A scenario file with its own overrides (then ``--set``), and its two sets of seeds."""

    label: str
    scenario: str
    overrides: tuple[str, ...]
    tune_seeds: tuple[int, ...]
    eval_seeds: tuple[int, ...]

    def spec(self, model: str, settings: Settings, seed: int) -> RunSpec:
        return read_spec(self.scenario, [*self.overrides, *policy_overrides(model, settings)], seed)


Settings = tuple[tuple[str, str], ...]  # (key, value) per threshold, in the grid's axis order


def policy_overrides(model: str, settings: Settings) -> list[str]:
    """The keeper keys of one policy (``toxicity_routing`` off: the model key alone decides)."""
    return ["keeper.toxicity_routing=false", f"keeper.toxicity_model={model}", *(f"{k}={v}" for k, v in settings)]


def start(model: str, grids: Mapping[str, tuple[Axis, ...]]) -> Settings:
    return tuple((axis.key, axis.values[0]) for axis in grids[model])


@dataclass(frozen=True)
class Study:
    cases: tuple[Case, ...]
    grids: Mapping[str, tuple[Axis, ...]]  # by policy: a variant's fixed thresholds are axes of one value
    fairness: Fairness
    models: Mapping[str, str] = field(default_factory=lambda: {m: m for m in MODELS})  # policy -> model

    @property
    def policies(self) -> tuple[str, ...]:
        return tuple(self.models)

    def spec(self, case: Case, policy: str, settings: Settings, seed: int) -> RunSpec:
        return case.spec(self.models[policy], settings, seed)


def parse_case(text: str) -> tuple[str, tuple[str, ...]]:
    """``FILE`` or ``FILE:KEY=VALUE,KEY=VALUE`` -> (file, overrides)."""
    path, sep, rest = text.partition(":")
    if not Path(path).is_file():
        raise ScenarioError(path, None, "file not found")
    if not sep:
        return path, ()
    overrides = tuple(split_values(rest))
    if not all(overrides):
        raise ScenarioError(text, None, "an empty override (expected FILE:KEY=VALUE,KEY=VALUE)")
    return path, overrides


def plan(
    cases: Sequence[str],
    sets: Sequence[str],
    *,
    seeds: int,
    tune_seeds: int,
    grid: Sequence[str] = (),
    fairness: Fairness | None = None,
    variants: Sequence[str] | None = None,
) -> Study:
    """Checks every case, override, grid value and variant, and fixes the seeds; see the module docstring.

    ``variants``: ``NAME=MODEL:KEY=VALUE,...`` (None: ``DEFAULT_VARIANTS``).
    """
    from defi_int.sim.scenario import load_scenario

    if not 1 <= seeds <= TUNE_OFFSET:
        raise ScenarioError("--seeds", None, f"must be within 1..{TUNE_OFFSET}, got {seeds}")
    if not 1 <= tune_seeds <= 1_000:
        raise ScenarioError("--tune-seeds", None, f"must be within 1..1000, got {tune_seeds}")
    grids = with_grid(grid)
    models = {m: m for m in MODELS}
    for name, model, fixed in DEFAULT_VARIANTS if variants is None else [parse_variant(v) for v in variants]:
        if name in models:
            raise ScenarioError(VARIANT, None, f"the policy {name!r} is given twice")
        tunable = {a.key for a in grids[model]}
        for key, _ in fixed:
            if key not in tunable:
                raise ScenarioError(VARIANT, key, f"not a threshold of {model} (one of {', '.join(sorted(tunable))})")
        held = dict(fixed)
        grids[name] = tuple(Axis(a.key, (held[a.key],)) if a.key in held else a for a in grids[model])
        models[name] = model
    planned: list[Case] = []
    for text in cases or DEFAULT_CASES:
        path, own = parse_case(text)
        overrides = (*own, *sets)
        try:
            base = load_scenario(path, overrides=overrides)
        except ScenarioError as err:
            if err.source != SET or not own:
                raise
            raise ScenarioError(text, err.key, err.problem) from None
        if any(o.partition("=")[0].strip().startswith("keeper.") for o in own):
            raise ScenarioError(text, None, "a case may not set keeper.* keys: the policies set them")
        tune = tuple(base.seed + TUNE_OFFSET + j for j in range(tune_seeds))
        evaluation = tuple(base.seed + i for i in range(seeds))
        base.with_seed(tune[-1])  # the highest seed must be a seed too
        label = base.name + (f" [{', '.join(own)}]" if own else "")
        if any(c.label == label for c in planned):
            raise ScenarioError(text, None, "this case is given twice")
        planned.append(Case(label, path, overrides, tune, evaluation))
        for policy, model in models.items():  # every value of every axis (the thresholds are checked one by one)
            for axis in grids[policy]:
                for value in axis.values:
                    where = GRID if policy in MODELS else VARIANT
                    try:
                        load_scenario(path, overrides=[*overrides, *policy_overrides(model, ((axis.key, value),))])
                    except ScenarioError as err:
                        if err.source != SET:
                            raise
                        raise ScenarioError(where, axis.key, f"{err.problem} (with {axis.key}={value})") from None
    return Study(tuple(planned), grids, fairness or Fairness(), models)


def parse_variant(text: str) -> tuple[str, str, Settings]:
    """``NAME=MODEL:KEY=VALUE,...`` -> (name, model, fixed thresholds)."""
    name, sep, rest = text.partition("=")
    model, colon, keys = rest.partition(":")
    name, model = name.strip(), model.strip()
    if not sep or not colon or not name.replace("_", "").isalnum():
        raise ScenarioError(VARIANT, None, f"expected NAME=MODEL:KEY=VALUE,..., got {text!r}")
    if model not in ("logistic", "gbdt", "trader_rule"):
        raise ScenarioError(VARIANT, None, f"the model must be trader_rule, logistic or gbdt, got {model!r}")
    fixed = []
    for item in split_values(keys):
        key, eq, value = item.partition("=")
        if not eq or not key.strip() or not value.strip():
            raise ScenarioError(VARIANT, None, f"expected KEY=VALUE, got {item!r}")
        fixed.append((key.strip(), value.strip()))
    return name, model, tuple(fixed)


def with_grid(options: Sequence[str]) -> dict[str, tuple[Axis, ...]]:
    """``GRIDS`` with the axes ``--grid KEY=V1,V2`` replaces (for every policy tuning ``KEY``)."""
    grids: dict[str, tuple[Axis, ...]] = dict(GRIDS)
    tunable = sorted({a.key for axes in GRIDS.values() for a in axes})
    given: set[str] = set()
    for option in options:
        key, values = parse_grid(option)
        if key not in tunable:
            raise ScenarioError(GRID, key, f"not a threshold the experiment tunes (one of {', '.join(tunable)})")
        if key in given:
            raise ScenarioError(GRID, key, "given twice; list every value in one --grid")
        given.add(key)
        for model, axes in grids.items():
            grids[model] = tuple(Axis(key, values) if a.key == key else a for a in axes)
    return grids


# --------------------------------------------------------------------------- tuning


@dataclass(frozen=True)
class Candidate:
    """One policy's thresholds tried on one case's tuning seeds, and how it did there."""

    case: str
    model: str
    settings: Settings
    round: int
    runs: int
    pnl: float | None  # mean desk PnL (pnl_total), tokens
    volume_ratio: float | None  # the uninformed traders' internal volume / none's, mean over seeds
    spread_delta_bps: float | None  # their effective spread − none's, mean over seeds
    fair: bool
    violation: float  # 0 when fair: how far past the tolerances, in tolerances

    def row(self) -> Row:
        return {
            "case": self.case,
            "model": self.model,
            "round": self.round,
            **dict(self.settings),
            "runs": self.runs,
            "pnl_mean": self.pnl,
            "uninformed_volume_vs_none": self.volume_ratio,
            "uninformed_spread_vs_none_bps": self.spread_delta_bps,
            "fair": self.fair,
        }


@dataclass
class Tuning:
    """The tuning's result: every candidate tried, and each (case, model)'s chosen thresholds."""

    tried: list[Candidate] = field(default_factory=list)
    chosen: dict[tuple[str, str], Candidate] = field(default_factory=dict)


Runner = Callable[[Sequence[RunSpec]], None]


def rows_of(ledger: Ledger, specs: Iterable[RunSpec]) -> list[Row]:
    code = code_version()
    return [row for spec in specs if (row := ledger.rows.get(spec.key(code))) is not None]


def judge(study: Study, case: Case, policy: str, settings: Settings, round_: int, ledger: Ledger) -> Candidate:
    """How ``settings`` did on ``case``'s tuning seeds, against ``none`` on the same seeds."""
    fairness = study.fairness
    runs = (study.spec(case, policy, settings, s) for s in case.tune_seeds)
    rows = {r["seed"]: r for r in rows_of(ledger, runs)}
    base = {r["seed"]: r for r in rows_of(ledger, (case.spec("none", (), s) for s in case.tune_seeds))}
    ok = [s for s in case.tune_seeds if rows.get(s, {}).get("status") == "ok"]
    pnl = _mean(rows[s]["pnl_total"] for s in ok)
    ratios, deltas = [], []
    for s in ok:
        mine, none = rows[s], base.get(s)
        if none is None or none.get("status") != "ok":
            continue
        if none.get("uninformed_internal_volume"):
            ratios.append(mine["uninformed_internal_volume"] / none["uninformed_internal_volume"])
        a, b = mine.get("uninformed_effective_spread_bps"), none.get("uninformed_effective_spread_bps")
        if a is not None and b is not None:
            deltas.append(a - b)
    ratio, delta = _mean(ratios), _mean(deltas)
    short = 0.0 if ratio is None else max(0.0, (1 - fairness.volume) - ratio) / max(fairness.volume, 1e-9)
    wide = 0.0
    if delta is not None and math.isfinite(fairness.spread_bps):
        wide = max(0.0, delta - fairness.spread_bps) / max(fairness.spread_bps, 1e-9)
    violation = short + wide if pnl is not None else math.inf
    return Candidate(case.label, policy, settings, round_, len(ok), pnl, ratio, delta, violation == 0, violation)


def best(candidates: Sequence[Candidate]) -> Candidate:
    """The fair candidate with the highest PnL; without one, the least unfair (ties: the earlier)."""
    fair = [c for c in candidates if c.fair and c.pnl is not None]
    if fair:
        return max(fair, key=lambda c: c.pnl if c.pnl is not None else -math.inf)
    return min(candidates, key=lambda c: c.violation)


def tune(study: Study, ledger: Ledger, run: Runner) -> Tuning:
    """The coordinate search over each policy's thresholds, on the tuning seeds (module docstring)."""
    tuning = Tuning()
    current = {(c.label, p): start(p, study.grids) for c in study.cases for p in study.policies}
    rounds = max(len(axes) for axes in study.grids.values())
    for round_ in range(rounds):
        trials: list[tuple[Case, str, list[Settings]]] = []
        specs: list[RunSpec] = []
        for case in study.cases:
            specs.extend(case.spec("none", (), s) for s in case.tune_seeds)
            for policy in study.policies:
                axes = study.grids[policy]
                if round_ >= len(axes):
                    continue
                here = current[(case.label, policy)]
                tries = [tuple((k, v if k == axes[round_].key else w) for k, w in here) for v in axes[round_].values]
                trials.append((case, policy, tries))
                specs.extend(study.spec(case, policy, t, s) for t in tries for s in case.tune_seeds)
        run(specs)
        for case, policy, tries in trials:
            judged = [judge(study, case, policy, t, round_, ledger) for t in tries]
            if len(tries) > 1:  # an axis of one value (a variant's fixed threshold) is not a choice
                tuning.tried.extend(judged)
            chosen = best(judged)
            current[(case.label, policy)] = chosen.settings
            tuning.chosen[(case.label, policy)] = chosen
    for case in study.cases:  # none has nothing to tune: its row says how it did on the tuning seeds
        tuning.chosen[(case.label, "none")] = judge(study, case, "none", (), 0, ledger)
    return tuning


def evaluation_specs(study: Study, tuning: Tuning) -> list[tuple[Case, str, RunSpec]]:
    """Each policy at its tuned thresholds on each case's evaluation seeds."""
    return [
        (case, policy, study.spec(case, policy, tuning.chosen[(case.label, policy)].settings, seed))
        for case in study.cases
        for seed in case.eval_seeds
        for policy in study.policies
    ]


def tuning_specs(study: Study, tuning: Tuning) -> list[tuple[Case, str, RunSpec]]:
    """Every tuning run of the study (for the flow check and the failure count)."""
    out: list[tuple[Case, str, RunSpec]] = []
    by_label = {c.label: c for c in study.cases}
    for cand in tuning.tried + [tuning.chosen[(c.label, "none")] for c in study.cases]:
        case = by_label[cand.case]
        out.extend((case, cand.model, study.spec(case, cand.model, cand.settings, s)) for s in case.tune_seeds)
    return out


def flow_groups(ledger: Ledger, runs: Iterable[tuple[Case, str, RunSpec]]) -> tuple[int, int]:
    """(seed groups, groups whose runs all had the same order flow): every policy of a case and seed."""
    digests: dict[tuple[str, int], set[str]] = {}
    code = code_version()
    for case, _, spec in runs:
        row = ledger.rows.get(spec.key(code))
        if row is not None and row.get("status") == "ok":
            digests.setdefault((case.label, spec.seed), set()).add(str(row.get("flow_digest")))
    return len(digests), sum(len(d) == 1 for d in digests.values())


def _mean(values: Iterable[float | None]) -> float | None:
    present = [float(v) for v in values if v is not None and math.isfinite(v)]
    return math.fsum(present) / len(present) if present else None


def seeds_text(seeds: Sequence[int]) -> str:
    """``7..16`` for a run of consecutive seeds, else the list."""
    if len(seeds) > 2 and all(b == a + 1 for a, b in itertools.pairwise(seeds)):
        return f"{seeds[0]}..{seeds[-1]}"
    return ", ".join(map(str, seeds))
