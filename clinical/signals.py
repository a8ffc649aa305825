"""Signals clinical sends so a higher app (crisis) can react without clinical importing it.

phq9_item9_positive: sent INSIDE the transaction that stores a PHQ-9 response whose item 9 ("thoughts that you
would be better off dead or of hurting yourself") is answered above "not at all"; kwargs response (the stored
MeasureResponse) and answer (1-3). crisis.receivers opens the escalation in the same transaction, so it commits
with the answer; a receiver must never raise (the answer is stored whatever happens to the alert): crisis
catches its own failure and re-checks the response by id in a task after the commit, as it does for the chat.
"""

from django.dispatch import Signal

phq9_item9_positive = Signal()
