"""Generation parameters of the synthetic claims generator, read from ``synth/data/``.

Every number the generator uses lives in a data file with its source noted (codes.csv,
targets.toml, groups.toml, providers.toml, payers.toml, calendar.toml, states.csv); this
module only parses them into typed, validated objects. Nothing here is random.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Final

PAYERS: Final = ("medicare", "medicare_advantage", "medicaid", "commercial", "other")
KINDS: Final = ("timed", "untimed", "eval", "reeval", "visit", "extra", "substitute")


class ParameterError(ValueError):
    """A generator data file is inconsistent; names the file and the key."""


@dataclass(frozen=True)
class Code:
    """One billable code the generator can emit (a row of codes.csv)."""

    code: str
    family: str  # "pmr" (97010-97799) or "other"
    kind: str
    therapy: str  # always / sometimes / no
    pfs_status: str
    rvu: float
    trend: float
    hands_on: bool
    requires: str | None


@dataclass(frozen=True)
class Minutes:
    """Timed minutes of a visit: ``p_zero`` none, otherwise a rounded, clipped normal."""

    p_zero: float
    mean: float
    sd: float
    low: int
    high: int


@dataclass(frozen=True)
class Extra:
    """An occasional add-on code of a group, for some payers only."""

    code: str
    p: float
    payers: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    """A care group: one kind of biller and how its visits look (groups.toml)."""

    name: str
    label: str
    specialty: str
    provider_kind: str
    discipline: str
    gp_rate: float
    claim_type: str
    pmr_mass: float
    relative_visits: float | None
    episode_visits: float | None
    dispersion: float
    gap_days: tuple[float, ...]
    treat_minutes: Minutes
    eval_minutes: Minutes
    concentration: float
    assistant_rate: float
    telehealth: bool
    payer_mix: dict[str, float]
    prior: dict[str, float]
    visit_codes: dict[str, float]
    visit_codes_on_first: bool
    eval_codes: dict[str, float]
    extras: tuple[Extra, ...]


@dataclass(frozen=True)
class ProviderKind:
    """A pool of rendering providers (providers.toml)."""

    name: str
    share: float
    practice: str  # "group" or "self"
    practice_pool: str
    zipf: float
    max_size: int
    volume_sigma: float
    home_rate: float
    pos: dict[str, float]
    taxonomies: dict[str, float]


@dataclass(frozen=True)
class Payer:
    """How one payer type prices and adjudicates (payers.toml)."""

    name: str
    fee_multiple: float
    cost_share: tuple[float, float]
    line_denial: float
    claim_denial: float
    ncci: float
    bundles_status_b: bool
    g0283: float


@dataclass(frozen=True)
class Targets:
    """Calibration targets (targets.toml), shares as fractions."""

    rehab: dict[str, float]  # calibration target per pmr code, sums to 1
    published: dict[str, float]  # the published top 15 as printed
    period: tuple[str, str]
    pt_order: tuple[str, ...]
    pt_year: int
    ot_shares: dict[str, float]
    ot_year: int


@dataclass(frozen=True)
class Params:
    """Everything the generator reads, parsed once."""

    codes: dict[str, Code]
    targets: Targets
    groups: dict[str, Group]
    kinds: dict[str, ProviderKind]
    renderers_per_line: int
    renderer_bounds: tuple[int, int]
    payers: dict[str, Payer]
    contract_sigma: float
    ncci_rate: float
    xu_share: float
    calendar: dict[str, Any]
    states: dict[str, int]


def _text(name: str) -> str:
    return resources.files("claimscope.synth").joinpath("data", name).read_text("utf-8")


def _toml(name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(_text(name))
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"synth/data/{name}: {exc}") from None


def _csv_rows(name: str) -> list[dict[str, str]]:
    lines = [ln for ln in _text(name).splitlines() if ln and not ln.startswith("#")]
    return list(csv.DictReader(lines))


def _weights(raw: dict[str, Any], where: str) -> dict[str, float]:
    out = {str(k): float(v) for k, v in raw.items()}
    if any(v < 0 for v in out.values()):
        raise ParameterError(f"{where}: negative weight")
    return out


def _minutes(raw: dict[str, Any]) -> Minutes:
    return Minutes(
        float(raw["p_zero"]), float(raw["mean"]), float(raw["sd"]), int(raw["min"]), int(raw["max"])
    )


def _codes() -> dict[str, Code]:
    codes = {}
    for i, row in enumerate(_csv_rows("codes.csv"), start=1):
        if row["kind"] not in KINDS:
            raise ParameterError(f"synth/data/codes.csv row {i}: unknown kind {row['kind']!r}")
        codes[row["code"]] = Code(
            code=row["code"],
            family=row["family"],
            kind=row["kind"],
            therapy=row["therapy"],
            pfs_status=row["pfs_status"],
            rvu=float(row["rvu"]),
            trend=float(row["trend_per_year"]),
            hands_on=row["hands_on"] == "1",
            requires=row["requires"] or None,
        )
    return codes


def _targets(codes: dict[str, Code]) -> Targets:
    raw = _toml("targets.toml")
    rehab = raw["rehab"]
    published = {k: v / 100 for k, v in rehab["published"].items()}
    chosen = published | {k: v / 100 for k, v in rehab.get("adjusted", {}).items()}
    residual = _weights(rehab["residual"], "targets.toml [rehab.residual]")
    scale = (1.0 - sum(chosen.values())) / sum(residual.values())
    if scale <= 0:
        raise ParameterError("targets.toml: published shares leave nothing for the residual")
    target = chosen | {k: v * scale for k, v in residual.items()}
    for code in target:
        if code not in codes or codes[code].family != "pmr":
            raise ParameterError(f"targets.toml: {code} is not a 97010-97799 code of codes.csv")
    return Targets(
        rehab=target,
        published=published,
        period=(rehab["period_from"], rehab["period_to"]),
        pt_order=tuple(raw["pt"]["order"]),
        pt_year=int(raw["pt"]["year"]),
        ot_shares={k: v / 100 for k, v in raw["ot"]["published"].items()},
        ot_year=int(raw["ot"]["year"]),
    )


def _group(name: str, raw: dict[str, Any], codes: dict[str, Code]) -> Group:
    where = f"groups.toml [groups.{name}]"
    payer_mix = _weights(raw["payer_mix"], where + " payer_mix")
    if set(payer_mix) != set(PAYERS):
        raise ParameterError(f"{where}: payer_mix must name {', '.join(PAYERS)}")
    prior = _weights(raw.get("prior", {}), where + " prior")
    extras = tuple(
        Extra(str(c), float(e["p"]), tuple(e.get("payers", PAYERS)))
        for c, e in raw.get("extras", {}).items()
    )
    named = [*prior, *raw.get("visit_codes", {}), *raw.get("eval_codes", {})]
    for code in named + [e.code for e in extras]:
        if code not in codes:
            raise ParameterError(f"{where}: code {code} is not in codes.csv")
    if float(raw["pmr_mass"]) > 0 and not prior:
        raise ParameterError(f"{where}: pmr_mass > 0 needs a prior code mix")
    if float(raw["pmr_mass"]) == 0 and "relative_visits" not in raw:
        raise ParameterError(f"{where}: a group without pmr_mass needs relative_visits")
    return Group(
        name=name,
        label=raw["label"],
        specialty=raw["specialty"],
        provider_kind=raw["provider_kind"],
        discipline=raw["discipline"],
        gp_rate=float(raw["gp_rate"]),
        claim_type=raw["claim_type"],
        pmr_mass=float(raw["pmr_mass"]),
        relative_visits=raw.get("relative_visits"),
        episode_visits=raw.get("episode_visits"),
        dispersion=float(raw["dispersion"]),
        gap_days=tuple(float(p) for p in raw["gap_days"]),
        treat_minutes=_minutes(raw["treat_minutes"]),
        eval_minutes=_minutes(raw["eval_minutes"]),
        concentration=float(raw["concentration"]),
        assistant_rate=float(raw["assistant_rate"]),
        telehealth=bool(raw["telehealth"]),
        payer_mix=payer_mix,
        prior=prior,
        visit_codes=_weights(raw.get("visit_codes", {}), where),
        visit_codes_on_first=bool(raw.get("visit_codes_on_first", False)),
        eval_codes=_weights(raw.get("eval_codes", {}), where),
        extras=extras,
    )


def _kinds(raw: dict[str, Any]) -> dict[str, ProviderKind]:
    kinds = {}
    for name, k in raw["kinds"].items():
        kinds[name] = ProviderKind(
            name=name,
            share=float(k["share"]),
            practice=k["practice"],
            practice_pool=k.get("practice_pool", name),
            zipf=float(k.get("zipf", 2.0)),
            max_size=int(k.get("max_size", 1)),
            volume_sigma=float(k["volume_sigma"]),
            home_rate=float(k["home_rate"]),
            pos=_weights(k.get("pos", {"11": 1.0}), f"providers.toml kinds.{name}.pos"),
            taxonomies=_weights(k["taxonomies"], f"providers.toml kinds.{name}.taxonomies"),
        )
    return kinds


def _payers(raw: dict[str, Any]) -> dict[str, Payer]:
    out = {}
    for name in PAYERS:
        p = raw["payers"][name]
        out[name] = Payer(
            name=name,
            fee_multiple=float(p["fee_multiple"]),
            cost_share=(float(p["cost_share"][0]), float(p["cost_share"][1])),
            line_denial=float(p["line_denial"]),
            claim_denial=float(p["claim_denial"]),
            ncci=float(p["ncci"]),
            bundles_status_b=bool(p["bundles_status_b"]),
            g0283=float(p["g0283"]),
        )
    return out


@cache
def load() -> Params:
    """All generator parameters, parsed and cross-checked once per process."""
    codes = _codes()
    groups = {n: _group(n, g, codes) for n, g in _toml("groups.toml")["groups"].items()}
    providers = _toml("providers.toml")
    kinds = _kinds(providers)
    for g in groups.values():
        if g.provider_kind not in kinds:
            raise ParameterError(f"groups.toml [groups.{g.name}]: unknown provider_kind")
    payers = _toml("payers.toml")
    calendar = _toml("calendar.toml")
    if len(calendar["seasonality"]) != 12:
        raise ParameterError("calendar.toml: seasonality needs 12 monthly values")
    states = {r["state"]: int(r["population_2020"]) for r in _csv_rows("states.csv")}
    return Params(
        codes=codes,
        targets=_targets(codes),
        groups=groups,
        kinds=kinds,
        renderers_per_line=int(providers["renderers_per_line"]),
        renderer_bounds=(int(providers["min_renderers"]), int(providers["max_renderers"])),
        payers=_payers(payers),
        contract_sigma=float(payers["contract_sigma"]),
        ncci_rate=float(payers["ncci_modifiers"]["rate"]),
        xu_share=float(payers["ncci_modifiers"]["xu_share"]),
        calendar=calendar,
        states=states,
    )


def year_value(table: dict[str, float], day: date) -> float:
    """Value of a per-year table for ``day``'s year, the nearest listed year outside it."""
    years = sorted(int(y) for y in table)
    year = min(max(day.year, years[0]), years[-1])
    return float(table[str(year)])
