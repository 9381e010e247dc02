"""Named procedure-code sets and the code-spec mini language users type to pick a family.

A *code spec* is a comma-separated list of items, each one of:

* a built-in set name (``pmr``, ``pt_evals``, ``timed``, ... see :func:`code_sets`);
* a range ``97010-97799`` (inclusive, compared as five-character text, so it also takes in
  odd ``9701T``-style strings that sort between the ends);
* a single code ``97110`` or ``G0283``.

Whitespace is ignored and codes are upper-cased, so ``" pmr , g0283 "`` is the same spec as
``"pmr,G0283"``. The built-in sets are data (``data/code_sets.toml``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from claimscope.terminology._data import TerminologyDataError, read_toml

# HCPCS Level I (CPT, incl. Category II "F", Category III "T", PLA "U") or Level II.
CODE_PATTERN = re.compile(r"^(?:[0-9]{4}[0-9A-Z]|[A-Z][0-9]{4})$")
CODE_SETS_FILE = "code_sets.toml"

Range = tuple[str, str]


class CodeSpecError(ValueError):
    """A code spec the user typed cannot be understood; the message says which item and why."""


def normalise_code(code: str) -> str:
    """A code as stored: surrounding whitespace removed, upper case."""
    return code.strip().upper()


def _in_ranges(code: str, ranges: Iterable[Range]) -> bool:
    # Only five-character codes take part in text ranges: "970100" sorts between 97010 and
    # 97799 as text but is not a code in that range.
    return len(code) == 5 and any(lo <= code <= hi for lo, hi in ranges)


@dataclass(frozen=True)
class Subsection:
    """A named part of a code set (e.g. the therapeutic procedures of ``pmr``)."""

    slug: str
    label: str
    ranges: tuple[Range, ...] = ()
    codes: frozenset[str] = frozenset()

    def contains(self, code: str) -> bool:
        """True when ``code`` is listed or falls in one of the ranges."""
        c = normalise_code(code)
        return c in self.codes or _in_ranges(c, self.ranges)


@dataclass(frozen=True)
class CodeSet:
    """A built-in named code set from ``data/code_sets.toml``."""

    name: str
    label: str
    description: str
    ranges: tuple[Range, ...]
    codes: frozenset[str]
    subsections: tuple[Subsection, ...] = ()

    def contains(self, code: str) -> bool:
        """True when ``code`` is in the set."""
        c = normalise_code(code)
        return c in self.codes or _in_ranges(c, self.ranges)

    def subsection_of(self, code: str) -> str | None:
        """Slug of the first (most specific) subsection holding ``code``, or None."""
        c = normalise_code(code)
        if not self.contains(c):
            return None
        return next((s.slug for s in self.subsections if s.contains(c)), None)

    def extent(self) -> str:
        """The set's ranges and codes as compact text, e.g. ``97010-97799``."""
        parts = [f"{lo}-{hi}" if lo != hi else lo for lo, hi in self.ranges]
        return ", ".join([*parts, *sorted(self.codes)])


@dataclass(frozen=True)
class CodeSpec:
    """A parsed code spec: what to count as the family of procedures."""

    ranges: tuple[Range, ...]
    codes: frozenset[str]
    label: str

    def matches(self, code: str | None) -> bool:
        """True when ``code`` (any case, surrounding spaces ignored) is in the spec."""
        if code is None:
            return False
        c = normalise_code(code)
        return c in self.codes or _in_ranges(c, self.ranges)

    def matches_array(self, codes: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
        """Vectorised :meth:`matches` over an Arrow string array (nulls give False).

        Accepts string, large_string, dictionary-encoded strings and all-null arrays.
        """
        value_type = codes.type.value_type if pa.types.is_dictionary(codes.type) else codes.type
        if pa.types.is_null(value_type) or pa.types.is_dictionary(codes.type):
            target = pa.string() if pa.types.is_null(value_type) else value_type
            codes = codes.cast(target)
        norm = pc.utf8_upper(pc.utf8_trim_whitespace(codes))
        hit = pc.is_in(norm, value_set=pa.array(sorted(self.codes), type=pa.string()))
        five = pc.equal(pc.utf8_length(norm), 5)
        for lo, hi in self.ranges:
            inside = pc.and_(pc.greater_equal(norm, lo), pc.less_equal(norm, hi))
            hit = pc.or_(hit, pc.and_(five, inside))
        return pc.fill_null(hit, False)

    def describe(self) -> str:
        """Human-readable account of the spec, naming what each built-in set stands for."""
        sets = code_sets()
        parts = []
        for item in self.label.split(","):
            if item in sets:
                s = sets[item]
                parts.append(f"{item} ({s.label}: {s.extent()})")
            elif "-" in item:
                parts.append(f"codes {item}")
            else:
                parts.append(f"code {item}")
        return "; ".join(parts)


def _ranges(raw: Any, where: str) -> tuple[Range, ...]:
    out = []
    for pair in raw or ():
        if len(pair) != 2 or not all(CODE_PATTERN.match(c) for c in pair) or pair[0] > pair[1]:
            raise TerminologyDataError(f"{CODE_SETS_FILE}: bad range {pair!r} in {where}")
        out.append((pair[0], pair[1]))
    return tuple(out)


def _codes(raw: Any, where: str) -> frozenset[str]:
    bad = [c for c in raw or () if not CODE_PATTERN.match(c)]
    if bad:
        raise TerminologyDataError(f"{CODE_SETS_FILE}: bad codes {bad!r} in {where}")
    return frozenset(raw or ())


@cache
def code_sets() -> dict[str, CodeSet]:
    """Every built-in code set by name (``pmr``, ``pt_evals``, ``ot_evals``, ``timed``, ...)."""
    out = {}
    for name, raw in read_toml(CODE_SETS_FILE)["sets"].items():
        subs = tuple(
            Subsection(
                slug=s["slug"],
                label=s["label"],
                ranges=_ranges(s.get("ranges"), f"{name}.{s['slug']}"),
                codes=_codes(s.get("codes"), f"{name}.{s['slug']}"),
            )
            for s in raw.get("subsections", ())
        )
        out[name] = CodeSet(
            name=name,
            label=raw["label"],
            description=raw.get("description", ""),
            ranges=_ranges(raw.get("ranges"), name),
            codes=_codes(raw.get("codes"), name),
            subsections=subs,
        )
    return out


def subsection_of(code: str) -> str | None:
    """Slug of the ``pmr`` subsection holding ``code`` (e.g. ``therapeutic_procedures``).

    Subsections nested numerically inside another (adaptive behavior 97151-97158 and the
    evaluations 97161-97172 inside 97110-97546) win, because the first match in data-file
    order is taken and nested subsections are listed first. None outside 97010-97799 and for
    codes in the gaps between subsections.
    """
    return code_sets()["pmr"].subsection_of(code)


def subsection_label(slug: str) -> str:
    """Human name of a ``pmr`` subsection slug (``therapeutic_procedures`` -> its label)."""
    return next((s.label for s in code_sets()["pmr"].subsections if s.slug == slug), slug)


def _error(item: str, spec: str, why: str) -> CodeSpecError:
    names = sorted(code_sets())
    close = difflib.get_close_matches(item.lower(), names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return CodeSpecError(
        f"code spec {spec!r}: item {item!r} {why}.{hint} Each comma-separated item must be a "
        f"code (97110, G0283), a range (97010-97799) or a built-in set: {', '.join(names)}."
    )


def _check_code(code: str, item: str, spec: str) -> str:
    if not CODE_PATTERN.match(code):
        raise _error(item, spec, f"is not a five-character HCPCS/CPT code ({code!r})")
    return code


def parse_code_spec(spec: str) -> CodeSpec:
    """Parse a code spec such as ``"pmr"``, ``"97110,97530"`` or ``"97010-97799,G0283"``.

    Raises :class:`CodeSpecError` naming the bad item and listing the built-in set names when
    an item is neither a set, a valid code nor an ordered range.
    """
    if not isinstance(spec, str) or not spec.replace(",", "").strip():
        raise CodeSpecError(
            f"empty code spec {spec!r}: give codes, ranges or a built-in set "
            f"({', '.join(sorted(code_sets()))})"
        )
    sets = code_sets()
    ranges: list[Range] = []
    codes: set[str] = set()
    items: list[str] = []
    for raw in spec.split(","):
        item = re.sub(r"\s+", "", raw)
        if not item:
            continue  # tolerate doubled or trailing commas
        if item.lower() in sets:
            s = sets[item.lower()]
            ranges.extend(s.ranges)
            codes.update(s.codes)
            label = s.name
        elif "-" in item:
            lo_raw, _, hi_raw = item.partition("-")
            lo = _check_code(lo_raw.upper(), raw.strip(), spec)
            hi = _check_code(hi_raw.upper(), raw.strip(), spec)
            if lo > hi:
                raise _error(raw.strip(), spec, f"starts after it ends ({lo} > {hi})")
            ranges.append((lo, hi))
            label = f"{lo}-{hi}"
        else:
            label = _check_code(item.upper(), raw.strip(), spec)
            codes.add(label)
        if label not in items:
            items.append(label)
    unique_ranges = tuple(dict.fromkeys(ranges))
    return CodeSpec(ranges=unique_ranges, codes=frozenset(codes), label=",".join(items))
