"""Writes of coordination: affiliations, statutes, delegates, mandates, delegate votes, and
motions that flow up (forward), down (consultation) and sideways (solidarity), one module per
domain; the reads are in :mod:`asamblea.coordination.queries`.

Each function checks rights, writes in one transaction, records in the ledgers concerned and
publishes live events after commit. Votes of an assembly's own members (joining, electing,
recalling, deciding a mandate or a consultation online) are ordinary polls of that assembly;
:func:`on_poll_closed` (in ``settling``) settles what they decide, inside the poll's closing
transaction; a verifiable delegate election is an election of :mod:`asamblea.elections`,
settled by :func:`on_election_closed` (in ``delegates``) inside that election's closing
transaction.
"""

from asamblea.coordination.actions.affiliations import (
    affiliation_decide,
    affiliation_propose,
)
from asamblea.coordination.actions.common import (
    COORDINATION_KINDS,
    FORWARD_VOTE_HOURS,
    MAX_CANDIDATES,
    MAX_SEATS,
    MAX_TERM_DAYS,
    MAX_THRESHOLD,
)
from asamblea.coordination.actions.consultations import (
    close_due,
    consultation_close,
    consultation_meeting_vote_open,
    consultation_open,
    consultation_poll_open,
    consultation_record,
    consultation_result_verified,
)
from asamblea.coordination.actions.delegates import (
    election_open,
    on_election_closed,
    recall_open,
)
from asamblea.coordination.actions.forwarding import (
    forward_back,
    motion_forward,
)
from asamblea.coordination.actions.mandates import (
    mandate_set,
    mandate_vote_open,
)
from asamblea.coordination.actions.settling import (
    on_poll_closed,
    on_poll_closing,
)
from asamblea.coordination.actions.solidarity import (
    solidarity_answer,
    solidarity_send,
)
from asamblea.coordination.actions.statutes import (
    coordination_create,
    statute_set,
)
from asamblea.coordination.actions.votes import (
    delegate_cast,
    vote_close,
    vote_open,
)

__all__ = [
    "COORDINATION_KINDS",
    "FORWARD_VOTE_HOURS",
    "MAX_CANDIDATES",
    "MAX_SEATS",
    "MAX_TERM_DAYS",
    "MAX_THRESHOLD",
    "affiliation_decide",
    "affiliation_propose",
    "close_due",
    "consultation_close",
    "consultation_meeting_vote_open",
    "consultation_open",
    "consultation_poll_open",
    "consultation_record",
    "consultation_result_verified",
    "coordination_create",
    "delegate_cast",
    "election_open",
    "forward_back",
    "mandate_set",
    "mandate_vote_open",
    "motion_forward",
    "on_election_closed",
    "on_poll_closed",
    "on_poll_closing",
    "recall_open",
    "solidarity_answer",
    "solidarity_send",
    "statute_set",
    "vote_close",
    "vote_open",
]
