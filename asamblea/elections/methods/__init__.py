"""Counting methods: pure functions from grouped ballots to a result with its full trace.

Nothing here imports Django. Each method lives in its own module, whose docstring cites the
published rules it follows:

- ``plurality``: plurality and approval voting, one seat or several;
- ``score``: score (range) voting;
- ``irv``: instant-runoff voting, one seat;
- ``stv_meek``: STV by Meek's method with New Zealand's nine-decimal arithmetic;
- ``stv_scottish``: STV by the Scottish local government rules (SSI 2007/42);
- ``schulze``: the Schulze method, with a full ranking and its tie-breaking;
- ``consent``: decisions adopted unless a member objects.

Ballots are numbered candidates grouped as ``(ballot, count)`` pairs (see ``ballots``); ties
the rules leave to lot are drawn from a seed given to the count (see ``tiebreak``); ``blt``
reads and writes the BLT ballot format. Every result has ``to_dict()`` for JSON.
"""

from .ballots import BallotError, RankedBallot, RankedGroup, group_ballots, ranked
from .blt import BltElection, BltError, parse_blt, read_blt, write_blt
from .consent import ConsentResponse, ConsentResult, Stance, decide_consent
from .irv import IrvResult, count_irv
from .plurality import MarksResult, count_approval, count_plurality
from .schulze import SchulzeResult, count_schulze
from .score import ScoreResult, count_score
from .stv_meek import MeekStvResult, count_meek_stv
from .stv_scottish import ScottishStvResult, count_scottish_stv

__all__ = [
    "BallotError",
    "BltElection",
    "BltError",
    "ConsentResponse",
    "ConsentResult",
    "IrvResult",
    "MarksResult",
    "MeekStvResult",
    "RankedBallot",
    "RankedGroup",
    "SchulzeResult",
    "ScoreResult",
    "ScottishStvResult",
    "Stance",
    "count_approval",
    "count_irv",
    "count_meek_stv",
    "count_plurality",
    "count_schulze",
    "count_score",
    "count_scottish_stv",
    "decide_consent",
    "group_ballots",
    "parse_blt",
    "ranked",
    "read_blt",
    "write_blt",
]
