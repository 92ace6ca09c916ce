"""Signals other apps listen to (coordination settles elections, recalls and mandates)."""

from django.dispatch import Signal

# Sent inside poll_close's transaction, after the result is stored: receivers' writes commit or
# roll back with the close. Arguments: ``poll`` (closed, with ``result``) and ``by``.
poll_closed = Signal()
