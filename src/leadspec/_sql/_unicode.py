"""Python's character classes as the SQL translation writes them out: what ``\\s`` and ``\\d`` of ``re`` match, the digits
``str.isdigit()`` takes beyond ASCII, and the characters ``re.IGNORECASE`` matches an ASCII letter with.

They depend on the Unicode version of the running Python (and its ``re``): :func:`computed` reads them off every
character (about 80 ms, at the first ``to_sql``). For CPython 3.11 (Unicode 14.0.0) they are written out in
:data:`KNOWN`, and a test holds them equal to what that Python computes; any other Python computes its own.
"""

from __future__ import annotations

import functools
import re
import string
import sys
import unicodedata
from typing import Iterable, NamedTuple

from ._ctx import every_character

__all__ = ["Classes", "Spans", "classes", "computed", "spans"]

Spans = tuple[tuple[int, int], ...]
"""Code points as inclusive ranges, in order."""


class Classes(NamedTuple):
    whitespace: Spans  # \\s of re (what str.strip() removes)
    decimal: Spans  # \\d of re (what int() reads): the Unicode decimal digits
    script: Spans  # str.isdigit() and not ASCII
    folds: tuple[tuple[str, str], ...]  # an ASCII letter and every character re.IGNORECASE matches it with, where more than its two cases


def spans(points: Iterable[int]) -> Spans:
    """``points`` (code points, any order, repeats allowed) as inclusive ranges of consecutive ones, in order."""
    out: list[tuple[int, int]] = []
    for point in sorted(set(points)):
        if out and out[-1][1] == point - 1:
            out[-1] = (out[-1][0], point)
        else:
            out.append((point, point))
    return tuple(out)


def computed() -> Classes:
    """The classes read off every character of this Python."""
    every = every_character()
    found = re.findall("[a-z]", every, re.IGNORECASE)
    folds = []
    for letter in string.ascii_letters:
        matched = "".join(f for f in found if re.fullmatch(re.escape(letter), f, re.IGNORECASE))
        if matched != "".join(sorted({letter.lower(), letter.upper()})):
            folds.append((letter, matched))
    return Classes(
        spans(map(ord, re.findall(r"\s", every))),
        spans(map(ord, re.findall(r"\d", every))),
        spans(ord(c) for c in filter(str.isdigit, every) if not c.isascii()),
        tuple(folds),
    )


KNOWN: dict[tuple[str, int, int, str], Classes] = {
    ("cpython", 3, 11, "14.0.0"): Classes(
        whitespace=(
            (0x9, 0xD), (0x1C, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A), (0x2028,
            0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000)
        ),
        decimal=(
            (0x30, 0x39), (0x660, 0x669), (0x6F0, 0x6F9), (0x7C0, 0x7C9), (0x966, 0x96F), (0x9E6, 0x9EF),
            (0xA66, 0xA6F), (0xAE6, 0xAEF), (0xB66, 0xB6F), (0xBE6, 0xBEF), (0xC66, 0xC6F), (0xCE6, 0xCEF),
            (0xD66, 0xD6F), (0xDE6, 0xDEF), (0xE50, 0xE59), (0xED0, 0xED9), (0xF20, 0xF29), (0x1040, 0x1049),
            (0x1090, 0x1099), (0x17E0, 0x17E9), (0x1810, 0x1819), (0x1946, 0x194F), (0x19D0, 0x19D9), (0x1A80,
            0x1A89), (0x1A90, 0x1A99), (0x1B50, 0x1B59), (0x1BB0, 0x1BB9), (0x1C40, 0x1C49), (0x1C50, 0x1C59),
            (0xA620, 0xA629), (0xA8D0, 0xA8D9), (0xA900, 0xA909), (0xA9D0, 0xA9D9), (0xA9F0, 0xA9F9), (0xAA50,
            0xAA59), (0xABF0, 0xABF9), (0xFF10, 0xFF19), (0x104A0, 0x104A9), (0x10D30, 0x10D39), (0x11066,
            0x1106F), (0x110F0, 0x110F9), (0x11136, 0x1113F), (0x111D0, 0x111D9), (0x112F0, 0x112F9), (0x11450,
            0x11459), (0x114D0, 0x114D9), (0x11650, 0x11659), (0x116C0, 0x116C9), (0x11730, 0x11739), (0x118E0,
            0x118E9), (0x11950, 0x11959), (0x11C50, 0x11C59), (0x11D50, 0x11D59), (0x11DA0, 0x11DA9), (0x16A60,
            0x16A69), (0x16AC0, 0x16AC9), (0x16B50, 0x16B59), (0x1D7CE, 0x1D7FF), (0x1E140, 0x1E149), (0x1E2F0,
            0x1E2F9), (0x1E950, 0x1E959), (0x1FBF0, 0x1FBF9)
        ),
        script=(
            (0xB2, 0xB3), (0xB9, 0xB9), (0x660, 0x669), (0x6F0, 0x6F9), (0x7C0, 0x7C9), (0x966, 0x96F), (0x9E6,
            0x9EF), (0xA66, 0xA6F), (0xAE6, 0xAEF), (0xB66, 0xB6F), (0xBE6, 0xBEF), (0xC66, 0xC6F), (0xCE6,
            0xCEF), (0xD66, 0xD6F), (0xDE6, 0xDEF), (0xE50, 0xE59), (0xED0, 0xED9), (0xF20, 0xF29), (0x1040,
            0x1049), (0x1090, 0x1099), (0x1369, 0x1371), (0x17E0, 0x17E9), (0x1810, 0x1819), (0x1946, 0x194F),
            (0x19D0, 0x19DA), (0x1A80, 0x1A89), (0x1A90, 0x1A99), (0x1B50, 0x1B59), (0x1BB0, 0x1BB9), (0x1C40,
            0x1C49), (0x1C50, 0x1C59), (0x2070, 0x2070), (0x2074, 0x2079), (0x2080, 0x2089), (0x2460, 0x2468),
            (0x2474, 0x247C), (0x2488, 0x2490), (0x24EA, 0x24EA), (0x24F5, 0x24FD), (0x24FF, 0x24FF), (0x2776,
            0x277E), (0x2780, 0x2788), (0x278A, 0x2792), (0xA620, 0xA629), (0xA8D0, 0xA8D9), (0xA900, 0xA909),
            (0xA9D0, 0xA9D9), (0xA9F0, 0xA9F9), (0xAA50, 0xAA59), (0xABF0, 0xABF9), (0xFF10, 0xFF19), (0x104A0,
            0x104A9), (0x10A40, 0x10A43), (0x10D30, 0x10D39), (0x10E60, 0x10E68), (0x11052, 0x1105A), (0x11066,
            0x1106F), (0x110F0, 0x110F9), (0x11136, 0x1113F), (0x111D0, 0x111D9), (0x112F0, 0x112F9), (0x11450,
            0x11459), (0x114D0, 0x114D9), (0x11650, 0x11659), (0x116C0, 0x116C9), (0x11730, 0x11739), (0x118E0,
            0x118E9), (0x11950, 0x11959), (0x11C50, 0x11C59), (0x11D50, 0x11D59), (0x11DA0, 0x11DA9), (0x16A60,
            0x16A69), (0x16AC0, 0x16AC9), (0x16B50, 0x16B59), (0x1D7CE, 0x1D7FF), (0x1E140, 0x1E149), (0x1E2F0,
            0x1E2F9), (0x1E950, 0x1E959), (0x1F100, 0x1F10A), (0x1FBF0, 0x1FBF9)
        ),
        folds=(('i', 'Ii\u0130\u0131'), ('k', 'Kk\u212a'), ('s', 'Ss\u017f'), ('I', 'Ii\u0130\u0131'), ('K', 'Kk\u212a'), ('S', 'Ss\u017f')),
    ),
}
"""The classes of a Python (implementation, major and minor version, Unicode version): written out by ``computed()``."""


@functools.cache
def classes() -> Classes:
    """The classes of the running Python: written out in :data:`KNOWN`, or computed once."""
    key = (sys.implementation.name, sys.version_info[0], sys.version_info[1], unicodedata.unidata_version)
    return KNOWN.get(key) or computed()
