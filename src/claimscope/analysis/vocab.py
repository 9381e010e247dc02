"""The vocabularies a query's values come from, listed for people and programs.

``claimscope vocab KIND`` and ``GET /api/vocab/{kind}`` both call :func:`vocabulary`, so the
values a user can look up are exactly the values :func:`~claimscope.analysis.query.build_filters`
accepts (and the names its errors suggest).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from claimscope.analysis.cohorts import cohort_files, load_cohorts
from claimscope.analysis.query import QueryError, suggestions
from claimscope.schema import PAYER_TYPES
from claimscope.terminology.codesets import CodeSpecError, code_sets, parse_code_spec
from claimscope.terminology.names import all_code_names
from claimscope.terminology.pos import place_of_service_codes, setting_for_pos
from claimscope.terminology.specialty import specialties
from claimscope.terminology.states import states

# Payer types are a closed list in the schema; their human names live here, next to the only
# place that shows them.
PAYER_LABELS: Final = {
    "medicare": "Medicare (fee-for-service, Parts A and B)",
    "medicare_advantage": "Medicare Advantage (Part C)",
    "medicaid": "Medicaid (fee-for-service and managed)",
    "commercial": "Commercial insurance (employer, individual, FEHB)",
    "other": "Other (TRICARE, VA, workers' compensation, auto, self-pay, ...)",
}


@dataclass(frozen=True)
class Vocabulary:
    """One listing: a title, named columns and rows of text."""

    kind: str
    title: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    parameter: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "parameter": self.parameter,
            "source": self.source,
            "values": [dict(zip(self.columns, row, strict=True)) for row in self.rows],
        }


def _code_sets(_: str | None, __: tuple[Path, ...]) -> Vocabulary:
    rows = [(s.name, s.label, s.extent()) for s in code_sets().values()]
    return Vocabulary(
        "code-sets",
        "Built-in code sets",
        ("name", "title", "codes"),
        rows,
        "codes",
        "terminology/data/code_sets.toml",
    )


def _codes(spec_text: str | None, folders: tuple[Path, ...]) -> Vocabulary:
    if spec_text is None:
        return _code_sets(None, folders)
    try:
        spec = parse_code_spec(spec_text)
    except CodeSpecError as exc:
        raise QueryError(str(exc), parameter="codes", vocabulary="code-sets") from None
    named = {c: name for c, name in all_code_names().items() if spec.matches(c)}
    sets = code_sets()
    title = sets[spec.label].label if spec.label in sets else spec.describe()
    subsection = sets[spec.label].subsection_of if spec.label in sets else (lambda _: None)
    rows = [(code, named[code], subsection(code) or "") for code in sorted(named)]
    return Vocabulary(
        "codes",
        f"Codes of {title} ({spec.label})",
        ("code", "name", "subsection"),
        rows,
        "codes",
        "terminology/data/cpt_names.csv, hcpcs_level2_names.csv",
    )


def _specialties(_: str | None, __: tuple[Path, ...]) -> Vocabulary:
    rows = [(slug, label) for slug, label in specialties().items()]
    return Vocabulary(
        "specialties",
        "Provider specialties",
        ("slug", "label"),
        rows,
        "specialty",
        "terminology/data/specialties.toml",
    )


def _payers(_: str | None, __: tuple[Path, ...]) -> Vocabulary:
    rows = [(p, PAYER_LABELS[p]) for p in PAYER_TYPES]
    return Vocabulary(
        "payers", "Payer types", ("payer_type", "label"), rows, "payer_type", "claimscope.schema"
    )


def _places(_: str | None, __: tuple[Path, ...]) -> Vocabulary:
    rows = [
        (code, name, setting_for_pos(code) or "") for code, name in place_of_service_codes().items()
    ]
    return Vocabulary(
        "places",
        "CMS places of service",
        ("code", "name", "setting"),
        rows,
        "pos",
        "terminology/data/place_of_service.csv",
    )


def _states(_: str | None, __: tuple[Path, ...]) -> Vocabulary:
    rows = list(states().items())
    return Vocabulary(
        "states",
        "States (USPS codes)",
        ("code", "name"),
        rows,
        "state",
        "terminology/data/us_states.csv",
    )


def _cohorts(_: str | None, folders: tuple[Path, ...]) -> Vocabulary:
    rows = []
    for name, cohort in sorted(load_cohorts(cohort_files(*folders)).items()):
        definition = {
            k: v for k, v in cohort.describe().items() if k not in ("name", "label", "origin")
        }
        text = "; ".join(
            f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in definition.items()
        )
        rows.append((name, cohort.label, text, cohort.origin))
    return Vocabulary(
        "cohorts",
        "Cohorts",
        ("name", "label", "definition", "origin"),
        rows,
        "cohort",
        "terminology/data/cohorts.toml and cohorts.toml in the store or current directory",
    )


KINDS: Final[dict[str, Callable[[str | None, tuple[Path, ...]], Vocabulary]]] = {
    "code-sets": _code_sets,
    "codes": _codes,
    "specialties": _specialties,
    "payers": _payers,
    "places": _places,
    "states": _states,
    "cohorts": _cohorts,
}


def vocabulary(
    kind: str, argument: str | None = None, *, folders: tuple[Path, ...] = ()
) -> Vocabulary:
    """The listing of ``kind`` (see :data:`KINDS`); ``codes`` takes a code set or spec.

    ``folders`` are where ``cohorts.toml`` files are looked for (the store, the project).
    """
    if kind not in KINDS:
        close = suggestions(kind, list(KINDS))
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise QueryError(
            f"{kind!r} is not a vocabulary.{hint} Choose one of {', '.join(KINDS)}",
            parameter="kind",
        )
    if argument is not None and kind != "codes":
        raise QueryError(f"only `codes` takes a code set; {kind!r} does not", parameter="kind")
    return KINDS[kind](argument, folders)
