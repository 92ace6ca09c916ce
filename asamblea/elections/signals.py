"""Signals the apps above elections listen to (coordination seats the delegates a verifiable
election elected)."""

from django.dispatch import Signal

# Sent inside the closing transaction of an election (``election_close``, or
# ``election_close_verified`` when a verifiable election's trustees decrypted its tally or its
# facilitator cancelled it), after the result and the ``election.closed`` ledger entry are
# written: receivers' writes commit or roll back with the close. Arguments: ``election``
# (closed, its row locked, with ``result``; ``result["valid"]`` is False when it was cancelled)
# and ``by`` (None: no actor, the trustees' decryptions closed it).
election_closed = Signal()
