"""Domain knowledge as versioned data: code sets, code names, specialties, place of service and
payer types. See ``docs/terminology.md``; the data files and their sources are listed in
``terminology/data/SOURCES.md``. Import the submodules (``claimscope.terminology.codesets``,
``.names``, ``.specialty``, ``.pos``, ``.payers``) for the lookups.
"""
