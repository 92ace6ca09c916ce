"""``asamblea count FILE.blt``: the recount tool anyone can run on a downloaded ballot file."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from asamblea.elections.methods.blt import read_blt
from asamblea.elections.methods.recount import METHODS, main
from asamblea.elections.methods.stv_scottish import count_scottish_stv

from .conftest import SCOTLAND_STV, no_ward_data

SMALL = '3 2\n4 1 2 0\n3 2 1 0\n2 3 0\n1 3 1 0\n0\n"Ana"\n"Bo"\n"Cy"\n"Small test"\n'
ONE_SEAT = '3 1\n4 1 2 0\n3 2 1 0\n2 3 2 0\n0\n"Ana"\n"Bo"\n"Cy"\n"One seat"\n'


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        status = main(list(argv), out, err)
    except SystemExit as exc:  # argparse refusing an option
        status = int(exc.code or 0)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.blt"
    path.write_text(SMALL, encoding="utf-8")
    return path


@pytest.fixture
def one_seat(tmp_path: Path) -> Path:
    path = tmp_path / "one.blt"
    path.write_text(ONE_SEAT, encoding="utf-8")
    return path


def test_it_prints_the_winners_and_a_table_stage_by_stage(small):
    status, out, err = run(str(small))
    assert (status, err) == (0, "")
    assert "Small test" in out
    assert "Elected: Ana; Bo" in out
    assert "Stage 1" in out and "Non-transferable" in out and "Quota: 4" in out
    ana_row = next(line for line in out.splitlines() if line.startswith("Ana "))
    assert "4.00000" in ana_row  # her 4 first preferences reach the quota at stage 1


@pytest.mark.parametrize("method", [m for m in METHODS if m != "irv"])
def test_every_method_counts_a_file_and_its_json_names_the_winners(small, method):
    status, out, _err = run(str(small), "--method", method, "--seed", "s1", "--json")
    assert status == 0
    data = json.loads(out)
    assert data["elected_names"][0] == "Ana"
    assert data["seed"] == "s1"


def test_irv_counts_a_one_seat_file_round_by_round(one_seat):
    status, out, _err = run(str(one_seat), "--method", "irv")
    assert status == 0
    assert "Elected: Bo" in out  # Cy's 2 ballots go to Bo: 5 of 9 against Ana's 4
    assert "Round 2" in out and "Exhausted" in out


def test_irv_refuses_a_file_with_several_seats(small):
    status, out, err = run(str(small), "--method", "irv")
    assert (status, out) == (2, "")
    assert "irv fills one seat" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"10000000 1\n0\n", "line 1: the header declares 10000000 candidates"),
        (b'2 1\n-5 1 2 0\n0\n"A"\n"B"\n', "line 2: a ballot weight cannot be negative"),
        (b'2 1\n1 1 0\n0\n"A\xff"\n"B"\n', "line 4: the file is not UTF-8"),
        (b"", "ends before the header"),
    ],
)
def test_a_bad_file_gives_one_clear_line_and_status_2(tmp_path, content, message):
    path = tmp_path / "bad.blt"
    path.write_bytes(content)
    status, out, err = run(str(path))
    assert (status, out) == (2, "")
    assert message in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_a_missing_file_and_a_bad_method_are_refused(tmp_path, small):
    status, _out, err = run(str(tmp_path / "none.blt"))
    assert status == 2 and "No such file" in err
    status, _out, _err = run(str(small), "--method", "borda")
    assert status == 2


def test_the_asamblea_command_runs_it_without_a_traceback(tmp_path, small):
    bad = tmp_path / "bad.blt"
    bad.write_bytes(b"99999999999 1\n")
    for path, status in ((small, 0), (bad, 2)):
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "asamblea.cli", "count", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == status, done.stderr
        assert "Traceback" not in done.stderr


def test_a_real_ward_recount_matches_the_counting_core():
    files = sorted(SCOTLAND_STV.glob("*/aberdeen_2022_ward6.blt"))
    if not files:
        no_ward_data("aberdeen_2022_ward6")
    ward = read_blt(files[0])
    expected = count_scottish_stv(ward.candidates, ward.ballots, ward.seats, seed="")
    status, out, _err = run(str(files[0]), "--json")
    assert status == 0
    assert json.loads(out)["elected_in_order"] == list(expected.winners)
    status, out, _err = run(str(files[0]))
    assert "Elected: Alexander MCLELLAN" in out
    assert f"Stage {len(expected.stages)}" in out
