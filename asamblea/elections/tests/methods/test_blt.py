"""Reading and writing BLT files, including every quirk of the real Scottish files."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asamblea.elections.methods.ballots import ranked
from asamblea.elections.methods.blt import BltElection, BltError, parse_blt, read_blt, write_blt

from .conftest import SCOTLAND_STV, no_ward_data

SIMPLE = """4 2
12 1 3 2 0
7 4 0
0
"Ana"
"Bo"
"Cy"
"Di"
"Club committee"
"""


def test_it_reads_a_plain_file() -> None:
    election = parse_blt(SIMPLE)
    assert election.candidates == ("Ana", "Bo", "Cy", "Di")
    assert election.seats == 2
    assert election.ballots == ((ranked(0, 2, 1), 12), (ranked(3), 7))
    assert election.title == "Club committee"
    assert election.withdrawn == frozenset()


def test_it_reads_withdrawn_candidates_from_line_two() -> None:
    election = parse_blt(SIMPLE.replace("4 2\n", "4 2\n-2 -4\n"))
    assert election.withdrawn == frozenset({1, 3})
    assert election.ballots[0] == (ranked(0, 2, 1), 12)


def test_it_reads_unquoted_names_and_a_missing_final_newline() -> None:
    text = "3 1\n5 1 2 0\n0\nAna Lopez (Ind)\nBo\nCy\nWard 9"
    election = parse_blt(text)
    assert election.candidates == ("Ana Lopez (Ind)", "Bo", "Cy")
    assert election.title == "Ward 9"


def test_it_reads_doubled_quotes_inside_a_quoted_name() -> None:
    text = '2 1\n1 1 0\n0\n"Brian ALLAN ""Alba Party"""\n"Bo"\nTorry-Ferryhill Ward'
    election = parse_blt(text)
    assert election.candidates == ('Brian ALLAN "Alba Party"', "Bo")
    assert election.title == "Torry-Ferryhill Ward"


def test_it_reads_a_name_followed_by_its_description() -> None:
    text = '2 1\n1 2 1 0\n0\n"George HALL" "Conservative"\n"Bo" "Green" \n"Ward 6"\n'
    election = parse_blt(text)
    assert election.candidates == ("George HALL (Conservative)", "Bo (Green)")


def test_it_unwraps_a_name_and_description_quoted_once_more() -> None:
    text = '1 1\n1 1 0\n0\n"""Kate CAMPBELL"" ""Independent"""\nWard 4'
    assert parse_blt(text).candidates == ("Kate CAMPBELL (Independent)",)


def test_it_reads_names_given_as_alternative_name_comments() -> None:
    text = "2 1\n3 1 0\n0\n# ALTERNATIVE NAME 1: Gary Barton (Ind)\n"
    text += "# ALTERNATIVE NAME 2: Alison Thewliss (SNP)\nCalton ward"
    election = parse_blt(text)
    assert election.candidates == ("Gary Barton (Ind)", "Alison Thewliss (SNP)")
    assert election.title == "Calton ward"


def test_it_reads_a_spreadsheet_export_with_trailing_commas() -> None:
    text = "3 1,\n786 1 0,\n87 1 2 0,\n0,\nKathleen BAIRD,\nWilma,LUMSDEN\nCy,\nWard 9 - Almond,"
    election = parse_blt(text)
    assert election.ballots == ((ranked(0), 786), (ranked(0, 1), 87))
    assert election.candidates == ("Kathleen BAIRD", "Wilma LUMSDEN", "Cy")
    assert election.title == "Ward 9 - Almond"


def test_it_reads_crlf_a_byte_order_mark_and_blank_lines() -> None:
    text = "\ufeff" + SIMPLE.replace("\n", "\r\n").replace('0\r\n"Ana', '0\r\n\r\n"Ana')
    assert parse_blt(text) == parse_blt(SIMPLE)


def test_it_reads_equal_ranks_skipped_ranks_and_ballot_ids() -> None:
    text = '3 1\n(a1) 2 1=3 - 2 0\n1 2 0\n0\n"A"\n"B"\n"C"\n"T"\n'
    election = parse_blt(text)
    assert election.ballots == ((ranked({0, 2}, 1), 2), (ranked(1), 1))


def test_it_merges_repeated_ballot_lines_and_drops_zero_weights() -> None:
    text = '2 1\n2 1 2 0\n0 2 0\n3 1 2 0\n0\n"A"\n"B"\n"T"\n'
    assert parse_blt(text).ballots == ((ranked(0, 1), 5),)


def test_it_accepts_a_ballot_line_without_its_terminator() -> None:
    text = '2 1\n4 2 1\n0\n"A"\n"B"\n"T"\n'
    assert parse_blt(text).ballots == ((ranked(1, 0), 4),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "ends before the header"),
        ("two 1\n0\n", "line 1: expected 'candidates seats'"),
        ('2 1\n1 3 0\n0\n"A"\n"B"\n', "line 2: no candidate '3'"),
        ('2 1\n1 1 1 0\n0\n"A"\n"B"\n', "line 2: a candidate is ranked twice"),
        ('2 1\n1.5 1 0\n0\n"A"\n"B"\n', "line 2: a ballot weight must be whole"),
        ('2 1\n1 1 0\n"A"\n"B"\n', "line 3: names begin before the 0 that ends the ballots"),
        ("2 1\n1 1 0\n", "line 1: the header declares 2 candidates, but the file has only 1"),
        ("1 1\n1 1 0\n\n", "ends before the 0 line"),
        ('2 1\n1 1 0\n0\n"A"\n', "names 1 candidates, the header says 2"),
        ('1 1\n1 1 0\n0\n"A"\n"T"\n"extra"\n', "unexpected lines after the title"),
        ('1 1\n-x\n0\n"A"\n', "line 2: bad withdrawn candidate"),
        ('1 1\n0\n"A" junk\n', "cannot read the quoted name"),
    ],
)
def test_it_rejects_malformed_files_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(BltError, match=message):
        parse_blt(text)


def test_it_writes_what_it_reads() -> None:
    election = BltElection(
        candidates=('Ana "La Roja"', "Bo"),
        seats=1,
        ballots=((ranked({0, 1}), 3), (ranked(1, 0), 2)),
        withdrawn=frozenset({1}),
        title="Assembly, 2025",
    )
    text = write_blt(election)
    assert text == '2 1\n-2\n3 1=2 0\n2 2 1 0\n0\n"Ana ""La Roja"""\n"Bo"\n"Assembly, 2025"\n'
    assert parse_blt(text) == election


def test_it_refuses_to_write_a_name_on_two_lines() -> None:
    election = BltElection(("A\nB",), 1, ())
    with pytest.raises(BltError, match="must fit on one line"):
        write_blt(election)


_names = st.text(
    st.characters(
        categories=("L", "N", "P", "S", "Zs"), max_codepoint=0x2FF, exclude_characters="#"
    )
)


@st.composite
def _elections(draw: st.DrawFn) -> BltElection:
    n = draw(st.integers(1, 6))
    names = tuple(draw(_names.map(str.strip).filter(bool)) for _ in range(n))
    ballots = draw(
        st.dictionaries(
            st.lists(st.frozensets(st.integers(0, n - 1), min_size=1, max_size=2), max_size=n)
            .filter(lambda ranks: sum(map(len, ranks)) == len(frozenset().union(*ranks)))
            .map(tuple),
            st.integers(1, 50),
            max_size=8,
        )
    )
    withdrawn = draw(st.frozensets(st.integers(0, n - 1)))
    title = draw(_names.map(str.strip))
    return BltElection(names, draw(st.integers(1, n)), tuple(ballots.items()), withdrawn, title)


@given(_elections())
def test_writing_then_reading_gives_the_same_election(election: BltElection) -> None:
    assert parse_blt(write_blt(election)) == election


def test_it_reads_every_scottish_ward_file() -> None:
    """All 1,100 BLT files of the Scottish data set (2007-2022) read without error.

    The folder holds 1,101 files: the 1,100 ward elections and a README.
    """
    files = sorted(SCOTLAND_STV.glob("*/*.blt"))
    if not files:
        no_ward_data("every ward")
    started = time.perf_counter()
    elections = [read_blt(path) for path in files]
    assert len(elections) == 1100
    for path, election in zip(files, elections, strict=True):
        assert len(election.candidates) == int(path.parent.name.split("_")[0]), path
        assert election.title, path
        assert all(name and not name.startswith('"') for name in election.candidates), path
        assert sum(count for _, count in election.ballots) > 0, path
    assert time.perf_counter() - started < 60
