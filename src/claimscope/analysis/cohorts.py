"""Named, declarative cohorts: which lines a ranking is about (``rehab``, ``pt``, ``medicare_pt``).

A cohort is any combination of a code set, attributed therapy discipline, specialty, payer
type, state, place of service, source, period and line status. Cohorts come from three places:

* built-ins (``[cohorts.*]`` in ``terminology/data/cohorts.toml``): ``rehab`` (every line of
  the compared code set, default ``pmr`` = 97010-97799), ``pt``, ``ot``, ``slp`` (lines
  attributed to that discipline, see :mod:`claimscope.analysis.attribution`);
* ``cohorts.toml`` files (in the store root and the current directory) with the same keys::

      [cohorts.medicare_pt]
      label = "Medicare PT"
      extends = "pt"
      payer_type = "medicare"          # a string, or a list of strings
      from = "2023-01"
      to = "2023-09"

* the command line: ``name=medicare_pt;discipline=physical_therapy;payer_type=medicare``
  (``key=value`` pairs separated by ``;``, lists by ``,``), or just a known name.

A cohort's fields replace the comparison's own filters where the cohort sets them; fields it
leaves out fall back to the comparison's (its ``--codes``, ``--from``, ...).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

import ibis.expr.types as ir

from claimscope.analysis.attribution import COHORTS_FILE, discipline_filter, disciplines
from claimscope.analysis.query import (
    LINE_STATUS_CHOICES,
    VALUE_CHECKS,
    Filters,
    QueryError,
    month_label,
    parse_month,
)
from claimscope.terminology._data import read_toml
from claimscope.terminology.codesets import CodeSpec, parse_code_spec

COHORT_FILE_NAME: Final = "cohorts.toml"
LIST_KEYS: Final = {
    "discipline": "disciplines",
    "specialty": "specialties",
    "payer_type": "payer_types",
    "state": "states",
    "place_of_service": "places_of_service",
    "source": "sources",
}
SCALAR_KEYS: Final = ("label", "codes", "from", "to", "line_status", "extends")
KEYS: Final = (*SCALAR_KEYS[:2], *LIST_KEYS, *SCALAR_KEYS[2:])
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.,+/-]{0,79}$")


class CohortError(QueryError):
    """A cohort definition that cannot be used; the message says where it comes from."""


@dataclass(frozen=True)
class Cohort:
    """One named selection of claim lines. Empty tuples / None mean "as the comparison"."""

    name: str
    label: str
    codes: CodeSpec | None = None
    disciplines: tuple[str, ...] = ()
    specialties: tuple[str, ...] = ()
    payer_types: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    places_of_service: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    month_from: date | None = None
    month_to: date | None = None
    line_status: str | None = None
    origin: str = "built-in"

    def filters(self, base: Filters) -> Filters:
        """``base`` with this cohort's fields put in where the cohort sets them."""
        changes: dict[str, Any] = {
            attr: getattr(self, attr)
            for attr in (*LIST_KEYS.values(), "codes", "month_from", "month_to", "line_status")
            if attr != "disciplines" and getattr(self, attr) not in ((), None)
        }
        try:
            return dataclasses.replace(base, **changes)
        except QueryError as exc:
            raise CohortError(f"cohort {self.name!r} ({self.origin}): {exc}") from None

    def select(self, lines: ir.Table) -> ir.Table:
        """``lines`` narrowed by what :class:`Filters` cannot express (the discipline)."""
        return discipline_filter(lines, self.disciplines) if self.disciplines else lines

    def describe(self) -> dict[str, Any]:
        """The definition as JSON-ready values (only what the cohort sets)."""
        out: dict[str, Any] = {"name": self.name, "label": self.label}
        if self.codes is not None:
            out["codes"] = self.codes.label
        for key, attr in LIST_KEYS.items():
            if getattr(self, attr):
                out[key] = list(getattr(self, attr))
        for key, value in (("from", self.month_from), ("to", self.month_to)):
            if value is not None:
                out[key] = month_label(value)
        if self.line_status:
            out["line_status"] = self.line_status
        out["origin"] = self.origin
        return out


def cohort_files(*folders: Path) -> list[Path]:
    """The ``cohorts.toml`` files that exist in ``folders`` (e.g. store root, current dir)."""
    seen: list[Path] = []
    for folder in folders:
        path = (folder / COHORT_FILE_NAME).resolve()
        if path.is_file() and path not in seen:
            seen.append(path)
    return seen


def builtin_cohorts() -> dict[str, Cohort]:
    """The shipped cohorts (``rehab``, ``pt``, ``ot``, ``slp``)."""
    raw = read_toml(COHORTS_FILE).get("cohorts", {})
    return _build_all(raw, {}, lambda name, key: "built-in")


def load_cohorts(paths: Sequence[Path]) -> dict[str, Cohort]:
    """Built-in cohorts plus those defined in ``paths`` (each a ``cohorts.toml``).

    A name may be defined once: redefining a built-in or a cohort of an earlier file is an
    error naming both places, so a comparison never silently changes meaning.
    """
    known = builtin_cohorts()
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
            raw = tomllib.loads(text)
        except FileNotFoundError:
            raise CohortError(f"cohort file {path} does not exist") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise CohortError(f"{path}: not valid TOML: {exc}") from None
        lines = _key_lines(text)
        extra = sorted(set(raw) - {"cohorts"})
        if extra:
            raise CohortError(
                f"{path}: unexpected top-level key(s) {', '.join(extra)}; define cohorts as "
                "[cohorts.NAME] tables"
            )

        def where(name: str, key: str | None, path: Path = path, lines: Any = lines) -> str:
            number = lines.get((name, key)) or lines.get((name, None))
            return f"{path} line {number}" if number else str(path)

        for name in raw.get("cohorts", {}):
            if name in known:
                raise CohortError(
                    f"{where(name, None)}: cohort {name!r} is already defined "
                    f"({known[name].origin}); choose another name"
                )
        known.update(_build_all(raw.get("cohorts", {}), known, where))
    return known


def resolve_cohort(text: str, known: dict[str, Cohort]) -> Cohort:
    """A cohort from the command line: a known name, or ``key=value;key=value`` pairs."""
    text = text.strip()
    if "=" not in text:
        if text in known:
            return known[text]
        close = difflib.get_close_matches(text, list(known), n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise CohortError(
            f"unknown cohort {text!r}.{hint} Known cohorts: {', '.join(sorted(known))}; or "
            "define one inline, e.g. 'name=medicare_pt;discipline=physical_therapy;"
            "payer_type=medicare'",
            parameter="cohort",
            vocabulary="cohorts",
        )
    fields: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CohortError(f"`cohort` {text!r}: {part!r} is not key=value", parameter="cohort")
        if key in fields:
            raise CohortError(f"`cohort` {text!r}: {key!r} is given twice", parameter="cohort")
        values = [v.strip() for v in value.split(",") if v.strip()]
        fields[key] = values if key in LIST_KEYS else value.strip()
    name = str(fields.pop("name", "") or _auto_name(fields))
    try:
        return _build(name, fields, known, lambda n, k: f"`cohort` {text!r}")
    except CohortError as exc:
        exc.parameter = exc.parameter or "cohort"
        raise


def _auto_name(fields: dict[str, Any]) -> str:
    parts = [fields.get("extends", "")]
    for key in (*LIST_KEYS, "codes", "from", "to"):
        value = fields.get(key)
        if value:
            parts.append(",".join(value) if isinstance(value, list) else str(value))
    return "/".join(p for p in parts if p) or "all"


Where = Callable[[str, str | None], str]


def _build_all(raw: dict[str, Any], known: dict[str, Cohort], where: Where) -> dict[str, Cohort]:
    """Build a file's cohorts, following ``extends`` within the file and to ``known`` ones."""
    built: dict[str, Cohort] = {}
    resolving: list[str] = []

    def get(name: str) -> Cohort:
        if name in built:
            return built[name]
        if name in resolving:
            chain = " -> ".join([*resolving, name])
            raise CohortError(
                f"{where(name, 'extends')}: cohorts extend each other in a loop: {chain}"
            )
        if not isinstance(raw.get(name), dict):
            raise CohortError(f"{where(name, None)}: [cohorts.{name}] must be a table of keys")
        resolving.append(name)
        parent = raw[name].get("extends")
        if isinstance(parent, str) and parent in raw and parent not in known:
            get(parent)
        built[name] = _build(name, dict(raw[name]), {**known, **built}, where)
        resolving.pop()
        return built[name]

    for name in raw:
        get(name)
    return built


def _build(name: str, fields: dict[str, Any], known: dict[str, Cohort], where: Where) -> Cohort:
    """Validate ``fields`` and make the cohort; errors name the key and where it was written."""
    if not _NAME.match(name):
        raise CohortError(
            f"{where(name, None)}: cohort name {name!r}: "
            "use up to 80 letters, digits and _ . , + / -"
        )
    unknown = [k for k in fields if k not in KEYS]
    if unknown:
        close = difflib.get_close_matches(unknown[0], KEYS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise CohortError(
            f"{where(name, unknown[0])}: cohort {name!r}: unknown key {unknown[0]!r}.{hint} "
            f"Known keys: {', '.join(KEYS)}"
        )
    start = _parent(name, fields.get("extends"), known, where)
    values: dict[str, Any] = {"name": name, "label": name, "origin": where(name, None)}
    if start is not None:
        values |= {f.name: getattr(start, f.name) for f in dataclasses.fields(Cohort)}
        values |= {"name": name, "label": name, "origin": where(name, None)}
    for key, raw in fields.items():
        if key == "extends":
            continue
        try:
            values.update(_parse_field(key, raw))
        except (QueryError, ValueError) as exc:
            raise CohortError(f"{where(name, key)}: cohort {name!r}, key {key!r}: {exc}") from None
    return Cohort(**values)


def _parent(name: str, parent: Any, known: dict[str, Cohort], where: Where) -> Cohort | None:
    if parent is None:
        return None
    if not isinstance(parent, str) or parent not in known:
        raise CohortError(
            f"{where(name, 'extends')}: cohort {name!r} extends unknown cohort {parent!r}; "
            f"known: {', '.join(sorted(known))}"
        )
    return known[parent]


def _strings(raw: Any) -> list[str]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise ValueError(f"expected a string or a list of strings, got {raw!r}")
    return [v.strip() for v in items if v.strip()]


def _parse_field(key: str, raw: Any) -> dict[str, Any]:
    """One key's value, checked against its vocabulary."""
    if key in LIST_KEYS:
        values = _strings(raw)
        if not values:
            raise ValueError("no values given")
        return {LIST_KEYS[key]: tuple(_check_value(key, v) for v in values)}
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError(f"expected a non-empty string, got {raw!r}")
    text = raw.strip()
    if key == "label":
        return {"label": text}
    if key == "codes":
        return {"codes": parse_code_spec(text)}
    if key in ("from", "to"):
        return {f"month_{key}": parse_month(text, end=key == "to")}
    if text not in LINE_STATUS_CHOICES:
        raise ValueError(f"{text!r} is not one of {', '.join(LINE_STATUS_CHOICES)}")
    return {"line_status": text}


def _check_value(key: str, value: str) -> str:
    """One list value against its vocabulary (the same checks as the command-line filters)."""
    if key == "discipline":
        allowed = disciplines()
        if value not in allowed:
            close = difflib.get_close_matches(value, list(allowed), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{value!r} is not a known {key}{hint}; known: {', '.join(allowed)}")
        return value
    check = VALUE_CHECKS.get(key)
    return check(value) if check else value


_HEADER = re.compile(r"^\s*\[\s*cohorts\s*\.\s*(\"[^\"]+\"|'[^']+'|[A-Za-z0-9_.+-]+?)\s*\]")
_KEY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=")


def _key_lines(text: str) -> dict[tuple[str, str | None], int]:
    """Line numbers of ``[cohorts.NAME]`` headers and their keys, for error messages."""
    out: dict[tuple[str, str | None], int] = {}
    current: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            current = header.group(1).strip("\"'")
            out.setdefault((current, None), number)
        elif line.lstrip().startswith("["):
            current = None
        elif current is not None and (key := _KEY.match(line)):
            out.setdefault((current, key.group(1)), number)
    return out
