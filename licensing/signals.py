"""What licensing tells the apps above it, which it must not import.

licence_lapsed(licence, at): a licence stopped being valid (expired, suspended, revoked). sessions
answers it (sessions.receivers): it tells the affected clients and closes the counselor's open chats,
and returns how many clients it told.
"""

from django.dispatch import Signal

licence_lapsed = Signal()
