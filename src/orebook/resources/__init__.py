"""Resources and reserves: classification, grade-tonnage, statements, the classical methods.

Each module is imported on its own (``orebook.resources.classify``, ``.tonnage``,
``.statement``, ``.swath``, ``.record``, ``.classical``).
"""
