"""Hostile BLT files: every malformed file gives a ``BltError`` naming its line, in time and
memory bounded by the file, never a crash, a hang or a huge allocation."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asamblea.elections.methods.blt import BltError, parse_blt, read_blt

NAMES = '"A"\n"B"\n"T"\n'


def _refused_quickly(text: str, message: str) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(BltError, match=message):
            parse_blt(text)
    finally:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.perf_counter() - started < 1.0
    assert peak < 1_000_000, f"{peak} bytes to refuse a {len(text)}-character file"


@pytest.mark.parametrize("declared", ["10000000", "99999999999", "999999999999999"])
def test_a_header_declaring_more_candidates_than_the_file_names_is_refused_at_once(declared):
    _refused_quickly(f"{declared} 1\n1 1 0\n0\n{NAMES}", f"line 1: the header declares {declared}")


def test_a_header_with_too_many_digits_is_refused():
    _refused_quickly("9" * 5001 + " 1\n0\n", "line 1: expected 'candidates seats'")


def test_more_seats_than_candidates_is_refused():
    _refused_quickly(f"2 3\n1 1 0\n0\n{NAMES}", "line 1: 3 seats for 2 candidates")


def test_a_5001_digit_weight_is_refused_naming_the_line():
    _refused_quickly(f"2 1\n1 1 0\n{'7' * 5001} 1 0\n0\n{NAMES}", "line 3: a ballot weight must")


def test_a_5001_digit_candidate_number_is_refused_naming_the_line():
    _refused_quickly(f"2 1\n1 {'1' * 5001} 0\n0\n{NAMES}", "line 2: no candidate")


@pytest.mark.parametrize("digit", ["²", "٣", "１", "𝟙"])
def test_digits_that_are_not_0_to_9_are_refused(digit):
    _refused_quickly(f"2 1\n{digit} 1 0\n0\n{NAMES}", "line 2: a ballot weight must")
    _refused_quickly(f"2 1\n1 {digit} 0\n0\n{NAMES}", "line 2: no candidate")
    _refused_quickly(f"{digit} 1\n0\n{NAMES}", "line 1: expected")


def test_a_negative_weight_on_the_first_ballot_line_is_not_read_as_withdrawn_candidates():
    _refused_quickly(f"2 1\n-5 1 2 0\n0\n{NAMES}", "line 2: a ballot weight cannot be negative")


def test_a_negative_weight_on_a_later_ballot_line_is_refused():
    _refused_quickly(
        f"2 1\n3 1 0\n-5 2 0\n0\n{NAMES}", "line 3: a ballot weight cannot be negative"
    )


def test_a_real_withdrawn_line_still_reads():
    assert parse_blt(f"2 1\n-2\n3 1 2 0\n0\n{NAMES}").withdrawn == frozenset({1})


def test_bytes_that_are_not_utf8_are_refused_naming_the_line(tmp_path: Path):
    path = tmp_path / "bad.blt"
    path.write_bytes(b'2 1\n3 1 0\n0\n"A"\n"B\xff\xfe"\n"T"\n')
    with pytest.raises(BltError, match="line 5: the file is not UTF-8"):
        read_blt(path)


def test_a_long_line_is_quoted_short_in_the_message():
    with pytest.raises(BltError) as caught:
        parse_blt(f"2 1\n1 1 1 {'x' * 100_000} 0\n0\n{NAMES}")
    assert len(str(caught.value)) < 300


_tokens = st.one_of(
    st.sampled_from(["0", "1", "2", "-1", "-", "=", '"', "1=2", "(7)", ",", "#", "²", "٣"]),
    st.integers(-(10**30), 10**30).map(str),
    st.text(max_size=8),
)
_lines = st.lists(_tokens, max_size=8).map(" ".join)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(_lines, max_size=12))
def test_arbitrary_text_either_reads_or_gives_a_blt_error(lines):
    try:
        election = parse_blt("\n".join(lines))
    except BltError as exc:
        assert str(exc)
    else:
        assert 1 <= election.seats <= len(election.candidates)
