"""Signals the chat sends after commit, so other parts (escalation) react without the chat knowing them.

Receivers get ids only. (A client's message is checked for risk phrases inside its own transaction,
by crisis.services.message_risk_open, not through a signal: see sessions.services.message_post.)
"""

from django.dispatch import Signal

# Sent after a client presses "I need help now" (chat or dashboard): kwargs client_id, session_id (or None).
client_help_requested = Signal()

# Sent after the commit of a client's code word that did not match at a session (ACA H.3: someone else may be
# reading): kwargs session_id. Escalation opens one identity escalation per session.
code_word_mismatched = Signal()

# Sent after the commit of a dropped session (sessions.models.SessionDrop): the client's chat connection dropped
# during a session in progress and did not come back within CLIENT_RECONNECT_MINUTES. kwargs session_id,
# drop_id. Escalation climbs any open escalation of that client at once.
client_connection_dropped = Signal()
