"""Signals the apps above meetings listen to (voting keeps a meeting open while a vote is, closes
a meeting's votes and writes them into its minutes)."""

from django.dispatch import Signal

# Sent by ``meetings.actions.close_due_meetings`` for a meeting in session for more than
# ``MEETING_MAX_DURATION``, before it closes it, outside any transaction: receivers close what
# must close first (its open votes), each in its own transaction. Argument: ``meeting``.
meeting_due = Signal()

# Sent by ``meetings.queries.minutes_record`` when the minutes are produced (at the meeting's
# close, in its transaction). Argument: ``meeting``. A receiver returns a dict of the minutes'
# sections it fills (voting: ``{"votes": [...]}``); the meeting knows nothing of votes.
minutes_sections = Signal()

# Sent by ``meetings.actions`` when a meeting is about to close (a facilitator's close or its
# closing by itself), in the closing transaction with the meeting's row locked. Argument:
# ``meeting``. A receiver returns a sentence saying what must close first (voting: an open vote
# of this meeting), or None; the meeting knows nothing of what the sentence is about.
meeting_closing = Signal()
