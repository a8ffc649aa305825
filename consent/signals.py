"""What consent tells the apps above it, which it must not import.

consent_withdrawn(client, actor, request): sent inside the withdrawal's transaction, so what the
receivers do commits with it or not at all. sessions answers it (sessions.receivers): it cancels the
client's coming sessions and closes their chats, and returns how many sessions it cancelled.
"""

from django.dispatch import Signal

consent_withdrawn = Signal()
