"""ASC X12 837 health care claim reader (005010X222A2 professional, 005010X223A3 institutional).

* :mod:`.tokenizer` reads the delimiters from the ISA header and streams segments in chunks;
* :mod:`.segments` parses the elements the reader uses (procedure composites, dates, amounts);
* :mod:`.loops` follows the HL/CLM/LX loop structure and the envelopes, building claim lines;
* :mod:`.reader` is the :class:`~claimscope.ingest.base.FormatReader` the registry names.
"""
