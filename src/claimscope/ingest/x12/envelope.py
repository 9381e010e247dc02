"""Interchange (ISA/IEA), functional group (GS/GE) and transaction set (ST/SE) checks.

The envelopes carry counts and control numbers; a mismatch means a damaged or truncated
file, which X12 itself treats as a rejection of the enclosing structure. The reader raises
:class:`IngestError` naming the file and the segment number, and the pipeline then loads
nothing from the file.
"""

from __future__ import annotations

from dataclasses import dataclass

from claimscope.ingest.base import IngestError
from claimscope.ingest.x12.segments import claim_type_for_guide, element


@dataclass
class Envelope:
    """Open envelopes while a file is read; ``claim_type`` is the open transaction's."""

    file: str
    component: str
    interchange: str | None = None  # ISA13 while an interchange is open
    group: str | None = None  # GS06 while a functional group is open
    group_guide: str = ""
    transaction: str | None = None  # ST02 while a transaction set is open
    transaction_start: int = 0
    claim_type: str = ""
    groups: int = 0
    transactions: int = 0
    interchanges: int = 0
    last: int = 0  # number of the last envelope segment outside a transaction set

    def error(self, number: int, message: str) -> IngestError:
        """An :class:`IngestError` naming the file and segment ``number``."""
        return IngestError(f"{self.file}: segment {number}: {message}")

    def follows(self, number: int) -> None:
        """Outside ST/SE only envelope segments may appear, each right after the previous one.

        Checking the numbers at each envelope segment finds any other segment between them
        without a check on every segment of the file.
        """
        if number != self.last + 1:
            raise self.error(self.last + 1, "segment outside a transaction set (ST/SE)")
        self.last = number

    def isa(self, elements: list[str], number: int) -> None:
        """Open an interchange; delimiters must match the first interchange's."""
        if self.interchange is not None:
            raise self.error(number, "ISA inside an open interchange (missing IEA)")
        self.follows(number)
        if len(elements) != 17:
            raise self.error(number, f"ISA has {len(elements) - 1} elements, expected 16")
        if elements[16][:1] != self.component:
            raise self.error(
                number,
                "this interchange declares other delimiters than the first one in the file; "
                "split the file per interchange",
            )
        self.interchange = elements[13]
        self.groups = 0
        self.interchanges += 1

    def iea(self, elements: list[str], number: int) -> None:
        """Close the interchange, checking the group count and control number."""
        if self.interchange is None or self.group is not None:
            raise self.error(number, "IEA without a matching ISA (or inside an open GS)")
        self.follows(number)
        if _int(element(elements, 1)) != self.groups:
            raise self.error(
                number, f"IEA01 says {element(elements, 1)!r} groups, found {self.groups}"
            )
        if element(elements, 2) != self.interchange:
            raise self.error(number, "IEA02 does not match the ISA13 control number")
        self.interchange = None

    def gs(self, elements: list[str], number: int) -> None:
        """Open a functional group; GS08 names the implementation guide."""
        if self.interchange is None or self.group is not None:
            raise self.error(number, "GS outside an interchange (or inside an open GS)")
        self.follows(number)
        self.group = element(elements, 6)
        self.group_guide = element(elements, 8)
        self.transactions = 0
        self.groups += 1

    def ge(self, elements: list[str], number: int) -> None:
        """Close the group, checking the transaction count and control number."""
        if self.group is None or self.transaction is not None:
            raise self.error(number, "GE without a matching GS (or inside an open ST)")
        self.follows(number)
        if _int(element(elements, 1)) != self.transactions:
            raise self.error(
                number,
                f"GE01 says {element(elements, 1)!r} transaction sets, found {self.transactions}",
            )
        if element(elements, 2) != self.group:
            raise self.error(number, "GE02 does not match the GS06 control number")
        self.group = None

    def st(self, elements: list[str], number: int) -> None:
        """Open an 837 transaction set; ST03 (else GS08) tells professional or institutional."""
        if self.group is None or self.transaction is not None:
            raise self.error(number, "ST outside a functional group (or inside an open ST)")
        self.follows(number)
        if element(elements, 1) != "837":
            raise self.error(
                number, f"transaction set {element(elements, 1)!r} is not an 837 health care claim"
            )
        guide = element(elements, 3) or self.group_guide
        claim_type = claim_type_for_guide(guide)
        if claim_type is None:
            raise self.error(
                number,
                f"837 implementation guide {guide!r} is not supported "
                "(expected 005010X222A2 professional or 005010X223A3 institutional)",
            )
        self.transaction = element(elements, 2)
        self.transaction_start = number
        self.claim_type = claim_type
        self.transactions += 1

    def se(self, elements: list[str], number: int) -> None:
        """Close the transaction set, checking its segment count and control number."""
        if self.transaction is None:
            raise self.error(number, "SE without a matching ST")
        counted = number - self.transaction_start + 1
        if _int(element(elements, 1)) != counted:
            raise self.error(
                number,
                f"SE01 says {element(elements, 1)!r} segments, the transaction has {counted}",
            )
        if element(elements, 2) != self.transaction:
            raise self.error(number, "SE02 does not match the ST02 control number")
        self.transaction = None
        self.last = number

    def finish(self, segments: int) -> None:
        """At end of file every envelope must be closed and nothing may follow the last IEA."""
        if self.interchanges == 0:
            raise IngestError(f"{self.file}: no ISA interchange found")
        if self.interchange is None and segments != self.last:
            raise self.error(self.last + 1, "segment after the last interchange (IEA)")
        if self.interchange is not None:
            missing = "SE/GE/IEA" if self.transaction else "GE/IEA" if self.group else "IEA"
            raise IngestError(
                f"{self.file}: the file ends after segment {segments} inside an open envelope "
                f"(missing {missing}): truncated?"
            )


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None
