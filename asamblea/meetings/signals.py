"""Signals the apps above meetings listen to (voting closes a meeting's votes)."""

from django.dispatch import Signal

# Sent by ``meetings.actions.close_due_meetings`` for a meeting in session for more than
# ``MEETING_MAX_DURATION``, before it closes it, outside any transaction: receivers close what
# must close first (its open votes), each in its own transaction. Argument: ``meeting``.
meeting_due = Signal()
