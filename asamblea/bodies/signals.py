"""Signals other apps listen to (coordination anchors ledger heads in affiliated bodies; voting
closes what is due before the body page is read)."""

from django.dispatch import Signal

# Sent by ``bodies.actions.record`` inside the caller's transaction, after the entry is
# appended: receivers' writes commit or roll back with it. Arguments: ``body``, ``kind``,
# ``entry`` (the new ``LedgerEntry``).
recorded = Signal()

# Sent by the body page before it reads what to show, outside any transaction: the apps above
# bring the body up to date first (voting closes the votes and meetings whose time is over).
# Argument: ``body``.
body_viewed = Signal()
