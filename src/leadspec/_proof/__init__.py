"""Proofs about a rule file with the z3 solver: the encoding of a plan (``_encode``), the findings of
``check --deep`` and the stage changes of ``diff --prove`` (``_findings``), and generated test files
(``_generate``). The public face is :mod:`leadspec.analysis`.

Like the SQL backend (``leadspec._sql``), the encoding knows each built-in function by name: it is an
engine of its own, translating every function it models into formulas.
"""
