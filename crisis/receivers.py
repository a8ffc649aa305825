"""What crisis listens to: the chat's help button, a PHQ-9 whose item 9 is positive (clinical), a session's confirmed
location, a code word that did not match, a client's connection that dropped during a session, a client's stored
message, edits of the phrase list; and the crisis section of the client's own copy of their data (records.registry).
Connected once, from crisis.apps.CrisisConfig.ready."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from clinical.signals import phq9_item9_positive
from counseling.models import Role, User
from crisis.models import EscalationEvent, RiskPhrase
from crisis.risk import risk_match, risk_phrase_list, risk_phrases_changed, risk_phrases_held
from crisis.selectors import escalations_client_export
from crisis.services import (
    connection_dropped_climb,
    help_request,
    identity_mismatch_open,
    location_confirmed_check,
    measure_item9_open,
    message_risk_open,
)
from records.registry import RecordSource, SealedField, record_source_register, sealed_field_register
from sessions.chat.hooks import ClientMessageWatcher, client_message_watcher_register
from sessions.models import CounselingSession
from sessions.signals import client_connection_dropped, client_help_requested, code_word_mismatched


def on_client_help_requested(sender, client_id: int, session_id: int | None = None, **kwargs) -> None:
    client = User.objects.filter(pk=client_id, role=Role.CLIENT).first()
    if client is None:
        return
    session = CounselingSession.objects.filter(pk=session_id, client=client).first() if session_id else None
    help_request(client=client, session=session)


def on_code_word_mismatched(sender, session_id: int, **kwargs) -> None:
    identity_mismatch_open(session_id=session_id)


def on_client_connection_dropped(sender, session_id: int, **kwargs) -> None:
    # A dropped session: the client's open escalations climb at once.
    connection_dropped_climb(session_id=session_id)


def on_session_saved(sender, instance, created: bool = False, update_fields=None, **kwargs) -> None:
    # Signal 4: a location confirmed with no emergency plan. Checked after commit, once per session.
    if instance.location_confirmed_at is None:
        return
    if update_fields is not None and "location_confirmed_at" not in update_fields:
        return
    session_id = instance.pk
    transaction.on_commit(lambda: location_confirmed_check(session_id=session_id))


def on_phq9_item9_positive(sender, response, answer: int, **kwargs) -> None:
    # Inside the transaction that stores the response; measure_item9_open never raises.
    measure_item9_open(response=response, answer=answer)


def _risk_quick_check(text: str) -> bool | None:
    phrases = risk_phrases_held()
    return None if phrases is None else risk_match(text, phrases=phrases) is not None


RISK_WATCHER = ClientMessageWatcher(
    prepare=risk_phrase_list, quick_check=_risk_quick_check, on_stored=message_risk_open
)


def connect() -> None:
    post_save.connect(risk_phrases_changed, sender=RiskPhrase, dispatch_uid="escalation.risk_phrases_saved")
    post_delete.connect(risk_phrases_changed, sender=RiskPhrase, dispatch_uid="escalation.risk_phrases_deleted")
    client_help_requested.connect(on_client_help_requested, dispatch_uid="escalation.help_requested")
    code_word_mismatched.connect(on_code_word_mismatched, dispatch_uid="escalation.code_word_mismatched")
    client_connection_dropped.connect(on_client_connection_dropped, dispatch_uid="escalation.connection_dropped")
    post_save.connect(on_session_saved, sender=CounselingSession, dispatch_uid="escalation.location_confirmed")
    phq9_item9_positive.connect(on_phq9_item9_positive, dispatch_uid="escalation.phq9_item9_positive")
    client_message_watcher_register(RISK_WATCHER)
    record_source_register(RecordSource(name="crisis", export=escalations_client_export))
    sealed_field_register(
        SealedField(model=EscalationEvent, field="note_sealed", owner="escalation__client_id", context="note_aad")
    )
