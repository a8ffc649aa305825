"""Signals the chat sends after commit, so other parts (escalation) react without the chat knowing them.

Receivers get ids only, never message text.
"""

from django.dispatch import Signal

# Sent after a client's message is committed: kwargs message_id.
client_message_stored = Signal()
# Sent after a client presses "I need help now" (chat or dashboard): kwargs client_id, session_id (or None).
client_help_requested = Signal()
