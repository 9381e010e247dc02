"""What a result answers, in words: its title and the facts every output format prints.

Works on a result's JSON contract (``to_dict()``), so it describes every analysis the same
way and picks up blocks other parts add (``data.store_version``, ``perturbation``) when they
are there. Human names come from the terminology data: ``pmr`` is "Physical medicine and
rehabilitation", ``physical_therapy`` is "Physical therapy", place of service ``11`` "Office".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from claimscope.analysis.measures import MEASURE_DEFS
from claimscope.terminology.codesets import code_sets
from claimscope.terminology.pos import pos_name
from claimscope.terminology.specialty import specialty_label

HEADINGS: Final = {
    "top": "Top codes",
    "trend": "Trend of code shares",
    "explore": "Breakdowns",
    "compare": "Top codes by cohort",
    "attribution": "Attribution to therapy disciplines",
    "diff": "Restatement of top codes",
}
FILTER_NAMES: Final = (
    ("specialty", "specialty"),
    ("payer_type", "payer type"),
    ("state", "state"),
    ("place_of_service", "place of service"),
    ("source", "source"),
)


@dataclass(frozen=True)
class Description:
    """A result's title and its labelled facts (codes, filters, period, measure, ...)."""

    title: str
    facts: list[tuple[str, str]]
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Every fact as ``label: text``, then the notes."""
        return [f"{label}: {text}" for label, text in self.facts] + self.notes

    def to_dict(self) -> dict[str, Any]:
        """Title and facts (the notes are already the result's own ``notes``)."""
        return {"title": self.title, "facts": dict(self.facts)}


def codes_title(label: str) -> str:
    """A code spec's human name: ``pmr`` -> ``Physical medicine and rehabilitation (pmr)``."""
    sets = code_sets()
    if label in sets:
        return f"{sets[label].label} ({label})"
    parts = []
    for item in label.split(","):
        if item in sets:
            parts.append(f"{sets[item].label} ({item})")
        else:
            parts.append(f"codes {item}" if "-" in item else f"code {item}")
    return ", ".join(parts)


def filters_text(query: dict[str, Any]) -> str:
    """The cohort filters of a query in words, or ``none``."""
    parts = []
    for key, name in FILTER_NAMES:
        values = query.get(key) or []
        if values:
            parts.append(f"{name} {' or '.join(_value_name(key, v) for v in values)}")
    status = query.get("line_status")
    if status and status != "all":
        parts.append(f"{status} lines only")
    return "; ".join(parts) or "none (every line of the code set)"


def _value_name(key: str, value: str) -> str:
    if key == "specialty":
        return specialty_label(value) or value
    if key == "place_of_service":
        name = pos_name(value)
        return f"{value} {name}" if name else value
    if key == "payer_type":
        return value.replace("_", " ").capitalize()
    return value


def period_text(query: dict[str, Any], data: dict[str, Any]) -> str:
    """The period asked for and the periods the data covered."""
    asked_from, asked_to = query.get("from"), query.get("to")
    if asked_from or asked_to:
        asked = f"{asked_from or 'start'} to {asked_to or 'end'}"
    else:
        asked = "all months in the store"
    periods = data.get("periods") or []
    if not periods:
        return f"{asked}; no data in it"
    covered = periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]}"
    return f"{asked}; data covers {covered}"


def measure_text(measure: str | None) -> str:
    definition = MEASURE_DEFS.get(measure or "")
    return definition.label if definition else str(measure)


def store_text(data: dict[str, Any]) -> str | None:
    version = data.get("store_version")
    if version is None:
        return None
    time = data.get("store_time")
    return f"version {version}" + (f" ({time})" if time else "")


def suppression_text(payload: dict[str, Any]) -> str:
    """The cell-size rule applied and how many figures it withheld."""
    blocks = _suppression_blocks(payload)
    if not blocks:
        return "cell-size rule (counts of 1 to 10 are never shown)"
    threshold = blocks[0].get("min_cell_size", 11)
    hidden = sum(int(b.get("primary", 0)) + int(b.get("complementary", 0)) for b in blocks)
    text = f"counts below {threshold} withheld (CMS cell-size rule); {hidden} figure(s) suppressed"
    if any(b.get("allow_small_cells") for b in blocks) and threshold < 11:
        text += "; small cells allowed for internal quality work"
    return text


def _suppression_blocks(payload: dict[str, Any]) -> list[dict[str, Any]]:
    if isinstance(payload.get("suppression"), dict):
        return [payload["suppression"]]
    nested = [*payload.get("breakdowns", []), *payload.get("cohorts", [])]
    return [b["suppression"] for b in nested if isinstance(b.get("suppression"), dict)]


def perturbation_text(payload: dict[str, Any]) -> str | None:
    """Whether counts carry cell-key noise, and its main parameters, in one line."""
    block = payload.get("perturbation")
    if not isinstance(block, dict):
        return None
    if not block.get("applied"):
        return f"none ({block.get('reason', 'exact figures')})"
    parts = [str(block["method"])] if block.get("method") else []
    if block.get("max_noise") is not None:
        parts.append(f"noise at most +/-{block['max_noise']}")
    if block.get("floor"):
        parts.append(str(block["floor"]))
    if not parts:  # parameters this module does not know yet: list the plain ones
        parts = [f"{k} {v}" for k, v in block.items() if k != "applied" and _plain(v)]
    return "applied" + (f" ({'; '.join(parts)})" if parts else "")


def _plain(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def describe(kind: str, payload: dict[str, Any]) -> Description:
    """Title and facts of a result of ``kind`` (``top``, ``trend``, ...) from its JSON."""
    query = payload.get("query", {})
    data = payload.get("data") or _first_data(payload)
    codes = codes_title(query.get("codes", ""))
    title = f"{HEADINGS.get(kind, kind)}: {codes}"
    if kind == "explore":
        title = f"{payload.get('code', '')} {payload.get('name') or ''}".strip()
    facts = [("Codes", codes)]
    cohorts = [c.get("label") or c.get("name") for c in payload.get("cohorts", [])]
    if cohorts:
        facts.append(("Cohorts", " vs ".join(str(c) for c in cohorts)))
        title += f", {' vs '.join(str(c) for c in cohorts)}"
    facts.append(("Filters", filters_text(query)))
    facts.append(("Period", period_text(query, data)))
    if kind != "attribution":
        facts.append(("Measure", measure_text(query.get("measure") or payload.get("measure"))))
    sources = ", ".join(s["name"] for s in data.get("sources", [])) or "none"
    facts.append(("Sources", sources))
    optional = [
        ("Store", store_text(data)),
        ("Suppression", suppression_text(payload)),
        ("Perturbation", perturbation_text(payload)),
    ]
    facts.extend((label, text) for label, text in optional if text)
    return Description(title, facts, list(payload.get("notes", [])))


def _first_data(payload: dict[str, Any]) -> dict[str, Any]:
    for cohort in payload.get("cohorts", []):
        if isinstance(cohort.get("data"), dict):
            return dict(cohort["data"])
    return {}


def described(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` with a ``description`` block (title and facts), as JSON outputs carry it."""
    return {**payload, "description": describe(kind, payload).to_dict()}
