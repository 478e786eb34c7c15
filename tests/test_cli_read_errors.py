"""A file that is not UTF-8 is reported at the byte and line where it stops being UTF-8 (issue 8).

The decoder reports an offset inside the block it was given; the message
used to say "at byte 7380" for a bad byte 1.4 MB into the file.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT
from conftest import cli as run_cli
from leadspec.cli._common import _first_bad_utf8

RULES = str(ROOT / "rules" / "x-education.yaml")


def cli(*argv: str) -> tuple[int, str]:
    """The exit code and standard error (what these tests read)."""
    code, _out, err = run_cli(*argv)
    return code, err


def test_a_bad_byte_deep_in_a_file_is_named_by_its_offset_and_line(tmp_path: Path) -> None:
    good = "Lead Number,Tags\n" + "660737,Ringing\n" * 40_000  # 600 KB: many blocks past the first one the decoder reads
    for name, write in (("in.csv", Path.write_bytes), ("in.csv.gz", lambda p, b: p.write_bytes(gzip.compress(b)))):
        path = tmp_path / name
        write(path, good.encode() + "660738,Österreich\n".encode("latin-1"))
        code, err = cli("qualify", RULES, str(path), "--allow-missing-columns", "-o", str(tmp_path / "out.csv"))
        assert code == 2
        offset = len(good.encode()) + len("660738,")
        assert err.endswith(
            f"{path}: not UTF-8 text: invalid continuation byte at byte {offset:,} (line 40,002); "
            "convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8); nothing written\n"
        ), err
        assert not (tmp_path / "out.csv").exists()


@settings(max_examples=80, deadline=None)
@given(data=st.binary(max_size=64), block=st.integers(1, 7))
def test_the_offset_is_the_one_bytes_decode_gives_whatever_the_blocks(tmp_path_factory, data: bytes, block: int) -> None:  # type: ignore[no-untyped-def]
    if data.startswith(b"\x1f\x8b\x08"):
        data = b"x" + data  # gzip's first bytes would be read as gzip (and refused as broken before any decoding)
    folder = tmp_path_factory.mktemp("utf8")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        expected = (exc.start, data.count(b"\n", 0, exc.start) + 1)
    else:
        expected = None
    packed = folder / "packed.csv"  # gzip whatever its name, read as the reader reads it: the offset is in the text
    packed.write_bytes(gzip.compress(data))
    assert _first_bad_utf8(str(packed), block=block) == expected
    path = folder / "x.csv"
    path.write_bytes(data)
    assert _first_bad_utf8(str(path), block=block) == expected
