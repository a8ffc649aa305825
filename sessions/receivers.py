"""What sessions answers from the apps below it, which do not import it: their signals, and the retention
engine's registry of records (with the sessions section of the client's own copy of their data)."""

from consent.signals import consent_withdrawn
from licensing.hooks import next_free_slots_finder_register
from licensing.signals import licence_lapsed
from records.registry import RecordSource, SealedField, record_source_register, sealed_field_register
from sessions.calls.selectors import calls_client_export
from sessions.chat.selectors import conversations_client_export, session_drops_client_export
from sessions.models import CounselingSession, Message, Referral, SessionDrop
from sessions.selectors import (
    client_confirmed_places,
    client_counselor_ids,
    client_last_message_at,
    client_last_session_end,
    client_messages,
    next_free_slots,
    referrals_client_export,
    sessions_client_export,
)
from sessions.services import clients_tell_of_licence_lapse, sessions_cancel_for_consent_withdrawal


def on_consent_withdrawn(sender, *, client, actor, request=None, **kwargs) -> int:
    """Cancel the client's coming sessions and close their chats; returns how many sessions were cancelled."""
    return sessions_cancel_for_consent_withdrawal(client=client, actor=actor, request=request)


def on_licence_lapsed(sender, *, licence, at, **kwargs) -> int:
    """Tell the clients the lapse affects and close the counselor's chats; returns how many were told."""
    return clients_tell_of_licence_lapse(licence=licence, at=at)


def client_export(client) -> dict:
    """The sessions section of the client's own copy of their data (records.registry, docs/client-export.md)."""
    return {
        "sessions": sessions_client_export(client),
        "conversations": conversations_client_export(client),
        "referrals": referrals_client_export(client),
        "connection_drops": session_drops_client_export(client),
        "calls": calls_client_export(client),
    }


def connect() -> None:
    consent_withdrawn.connect(on_consent_withdrawn, dispatch_uid="sessions.consent_withdrawn")
    licence_lapsed.connect(on_licence_lapsed, dispatch_uid="sessions.licence_lapsed")
    next_free_slots_finder_register(next_free_slots)  # the directory's "next free time" (licensing.hooks)
    record_source_register(
        RecordSource(
            name="sessions",
            last_contact=(client_last_message_at, client_last_session_end),
            places=client_confirmed_places,
            counselors=client_counselor_ids,
            bulk_rows=client_messages,
            export=client_export,
        )
    )
    sealed_field_register(
        SealedField(model=Message, field="body_sealed", owner="conversation__client_id", context="aad"),
        SealedField(
            model=CounselingSession, field="location_landmark_sealed", owner="client_id", context="landmark_aad"
        ),
        SealedField(model=SessionDrop, field="note_sealed", owner="session__client_id", context="note_aad"),
        SealedField(model=Referral, field="reason_sealed", owner="client_id", context="reason_context"),
        SealedField(model=Referral, field="destination_sealed", owner="client_id", context="destination_context"),
    )
