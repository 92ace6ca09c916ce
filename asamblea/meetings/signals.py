"""Signals the apps above meetings listen to (voting closes a meeting's votes and writes them
into its minutes)."""

from django.dispatch import Signal

# Sent by ``meetings.actions.close_due_meetings`` for a meeting in session for more than
# ``MEETING_MAX_DURATION``, before it closes it, outside any transaction: receivers close what
# must close first (its open votes), each in its own transaction. Argument: ``meeting``.
meeting_due = Signal()

# Sent by ``meetings.queries.minutes_record`` when the minutes are produced (at the meeting's
# close, in its transaction). Argument: ``meeting``. A receiver returns a dict of the minutes'
# sections it fills (voting: ``{"votes": [...]}``); the meeting knows nothing of votes.
minutes_sections = Signal()
