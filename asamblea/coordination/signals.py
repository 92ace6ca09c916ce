"""Signals the apps above coordination listen to (verifiable consultations).

Both are sent inside the sending action's transaction; a receiver that raises refuses the
action and nothing of it is written.
"""

from django.dispatch import Signal

# An assembly's online vote in a verifiable consultation was just opened. Arguments: ``row``
# (the ConsultedBody, locked), ``poll`` (its new verifiable poll), ``by`` (the facilitator).
# asamblea.verifiable joins the poll to the consultation's election key, or refuses.
consultation_poll_opened = Signal()

# A verifiable consultation is closing (its deadline passed, or a facilitator closed it).
# Arguments: ``consultation`` (locked, still open), ``by`` (None: the deadline passed).
# asamblea.verifiable closes the assemblies' ballot boxes and puts their encrypted tallies,
# and their products, on the consultation's board for the trustees to decrypt.
consultation_closing = Signal()
