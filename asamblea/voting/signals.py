"""Signals other apps listen to (coordination settles elections, recalls and mandates)."""

from django.dispatch import Signal

# Sent inside poll_close's transaction, after the result is stored: receivers' writes commit or
# roll back with the close. Arguments: ``poll`` (closed, with ``result``) and ``by``.
poll_closed = Signal()

# Sent inside poll_close's transaction, with the poll row locked and still open, before
# anything is written: a receiver refuses the close by raising (coordination refuses to let a
# delegate close their own recall, or anyone close it before its time). ``by`` None: the
# closing time passed.
poll_closing = Signal()
