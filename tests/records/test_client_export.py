"""A client downloads all their data in one JSON file (UU PDP 27/2022 Pasal 7 and 13; docs/client-export.md).

The data is made through the apps' own services, so a section that stopped being filled fails here."""

import base64
import json
import uuid
from datetime import timedelta

import pytest
from django.conf import settings

from consent.models import ConsentAcceptance
from counseling import clock
from counseling.crypto import data_key_destroy
from counseling.models import AuditEntry, DataKey
from crisis.services import escalation_acknowledge, help_request
from identity.models import CodeWord
from identity.services import (
    identity_document_content,
    identity_document_review,
    identity_document_upload,
    intake_submit,
)
from records.registry import record_sources
from records.services import CLIENT_EXPORT_VERSION, client_shred
from sessions.chat.drops import session_drop_open, session_drop_record
from sessions.chat.services import conversation_get_or_create, message_post
from sessions.models import SessionDrop
from sessions.services import referral_create, session_location_confirm
from tests.consent.conftest import accept_current
from tests.counseling.test_escalation_support import eager_celery, make_session, pushed  # noqa: F401
from tests.counseling.test_identity_documents_sniffing import png_bytes
from tests.security.conftest import INTAKE_ANSWERS

pytestmark = pytest.mark.usefixtures("eager_celery", "pushed")

DOWNLOAD = "/privacy/data/download/"
CODE_WORD_A = "kupu-kupu biru"
ESCALATION_NOTE = "Staff note: spoke with her brother Budi about the weekend"
DROP_NOTE = "Staff note: phoned, the line was busy"
B_ANSWERS = {**INTAKE_ANSWERS, "legal_name": "Bintang Other Person", "phone": "+62 811 0000 4242"}
B_MESSAGE = "Client B's own words that nobody else may download"


@pytest.fixture
def world(client_a, client_b, counselor_a, counselor_b, admin_user):
    """Client A with something in every section, client B with data of her own, an admin who read A's ID."""
    accept_current(client_a, language="id", counselor=counselor_a)
    intake_submit(client=client_a, answers=INTAKE_ANSWERS, emergency_contact_authorised=True, code_word=CODE_WORD_A)
    document = identity_document_upload(client=client_a, name="ktp.png", data=png_bytes(body=4000))
    identity_document_content(document=document, viewer=admin_user)
    identity_document_review(document=document, reviewer=admin_user, verified=True)

    session = make_session(client_a, counselor_a)
    session_location_confirm(session=session, client=client_a, country="ID", region="ID-YO", landmark="Jl. Kaliurang 5")
    conversation = conversation_get_or_create(client=client_a, counselor=counselor_a)
    message_post(conversation=conversation, sender=client_a, client_msg_id=uuid.uuid4(), body="Saya sulit tidur.")
    message_post(conversation=conversation, sender=counselor_a, client_msg_id=uuid.uuid4(), body="Mari kita bahas.")
    referral_create(counselor=counselor_a, client=client_a, reason="Needs in-person care", destination="RS Sardjito")
    escalation, _created = help_request(client=client_a, session=session)
    escalation_acknowledge(escalation=escalation, user=counselor_a, note=ESCALATION_NOTE)
    session_drop_open(session_id=session.pk, away_since=clock.now() - timedelta(minutes=5))
    drop = SessionDrop.objects.get(session=session)
    session_drop_record(drop=drop, counselor=counselor_a, actions=["phoned_client"], note=DROP_NOTE)

    intake_submit(client=client_b, answers=B_ANSWERS, emergency_contact_authorised=True, code_word="rahasia b")
    conversation_b = conversation_get_or_create(client=client_b, counselor=counselor_b)
    message_post(conversation=conversation_b, sender=client_b, client_msg_id=uuid.uuid4(), body=B_MESSAGE)
    return {"session": session, "escalation": escalation}


def download(client, user):
    client.force_login(user)
    response = client.get(DOWNLOAD)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    return response.content.decode(), json.loads(response.content)


def test_the_file_holds_every_section_with_the_clients_real_data(client, world, client_a):
    _raw, data = download(client, client_a)
    assert data["schema"] == "konseling-etis/client-export" and data["schema_version"] == CLIENT_EXPORT_VERSION
    # Every app that registered an export has its section in the file, under its name.
    exporting = {source.name for source in record_sources() if source.export is not None}
    assert {"consent", "identity", "sessions", "crisis"} <= exporting
    assert exporting <= set(data)

    assert data["account"]["email"] == client_a.email and data["profile"]["display_name"] == "Client A"
    (acceptance,) = data["consent"]["acceptances"]
    stored = ConsentAcceptance.objects.get(client=client_a)
    assert acceptance["version_number"] == stored.version.number and acceptance["counselor"] == "Counselor A"
    assert acceptance["rendered_text"] == stored.rendered_text and acceptance["withdrawn_at"] is None

    identity = data["identity"]
    assert identity["intake"]["answers"]["legal_name"] == "Ayu Lestari Wibowo"
    assert identity["intake"]["answers"]["emergency_contact_phone"] == "+62 813 5550 9876"
    assert identity["code_word"]["set"] is True
    (document,) = identity["identity_documents"]
    assert document["status"] == "verified" and document["file_included"] is False
    assert document["content_type"] == "image/png" and document["reviewed_by"] == "admin"

    sessions = data["sessions"]
    (session,) = sessions["sessions"]
    assert session["session_id"] == world["session"].pk and session["location_landmark"] == "Jl. Kaliurang 5"
    (conversation,) = sessions["conversations"]
    assert [(m["sender"], m["body"], m["from_you"]) for m in conversation["messages"]] == [
        ("Client A", "Saya sulit tidur.", True),
        ("Counselor A", "Mari kita bahas.", False),
    ]
    (referral,) = sessions["referrals"]
    assert referral["reason"] == "Needs in-person care" and referral["destination"] == "RS Sardjito"
    (drop,) = sessions["connection_drops"]
    assert drop["actions"] == ["phoned_client"] and drop["note_written"] is True and drop["note_included"] is False

    (escalation,) = data["crisis"]["escalations"]
    assert escalation["kind"] == "help_button" and escalation["state"] == "acknowledged"
    acknowledged = [step for step in escalation["steps"] if step["kind"] == "acknowledged"]
    assert acknowledged == [
        {
            "at": acknowledged[0]["at"],
            "kind": "acknowledged",
            "rung": acknowledged[0]["rung"],
            "by": "Counselor A",
            "note_written": True,
            "note_included": False,
        }
    ]
    assert any(alert["person"] == "Counselor A" for alert in escalation["alerted"])

    log = data["access_log"]
    viewed = [entry for entry in log if entry["action"] == "identity_document.viewed"]
    assert viewed and viewed[0]["by"] == {"kind": "staff", "name": "admin", "role": "admin"}
    assert viewed[0]["ip_address"] is None
    assert any(entry["action"] == "referral.created" and entry["by"]["name"] == "Counselor A" for entry in log)
    assert {item["what"] for item in data["not_included"]} >= {
        "code_word",
        "notes_written_by_staff",
        "clinical_record_not_released",
    }


def test_the_file_holds_no_other_clients_data_no_code_word_no_staff_notes_and_no_key_material(
    client, world, client_a, client_b, counselor_a, admin_user
):
    raw, _data = download(client, client_a)
    for foreign in (B_ANSWERS["legal_name"], B_ANSWERS["phone"], B_MESSAGE, client_b.email, "Client B"):
        assert foreign not in raw
    assert CODE_WORD_A not in raw and CodeWord.objects.get(client=client_a).hashed not in raw
    assert "pbkdf2" not in raw and "hashed" not in raw
    assert ESCALATION_NOTE not in raw and DROP_NOTE not in raw
    # Staff are named as clients see them, never by e-mail.
    assert counselor_a.email not in raw and admin_user.email not in raw
    wrapped = bytes(DataKey.objects.get(owner=client_a).wrapped_key)
    for secret in (
        base64.b64encode(wrapped).decode(),
        wrapped.hex(),
        settings.FIELD_ENCRYPTION_KEYS.split(":", 1)[1].split(",")[0],
        settings.AUDIT_KEY.split(":", 1)[1].split(",")[0],
    ):
        assert secret not in raw
    assert "entry_hash" not in raw and "prev_hash" not in raw and "wrapped_key" not in raw
    # Client B's own download holds her data, and none of A's.
    client.logout()
    raw_b, data_b = download(client, client_b)
    assert B_MESSAGE in raw_b and "Ayu Lestari Wibowo" not in raw_b and "Saya sulit tidur." not in raw_b
    assert data_b["crisis"]["escalations"] == [] and data_b["sessions"]["referrals"] == []


def test_every_download_is_audited_and_listed_in_its_own_access_log(client, world, client_a):
    assert not AuditEntry.objects.filter(action="records.client_export").exists()
    _raw, first = download(client, client_a)
    # The page's promise: each download is in the audit log and listed in the file's own access log.
    listed = [entry for entry in first["access_log"] if entry["action"] == "records.client_export"]
    assert len(listed) == 1 and listed[0]["by"] == {"kind": "you"} and listed[0]["ip_address"] == "127.0.0.1"
    _raw, second = download(client, client_a)
    entries = AuditEntry.objects.filter(action="records.client_export")
    assert entries.count() == 2
    assert set(entries.values_list("actor_id", "subject_id")) == {(client_a.pk, client_a.pk)}
    assert len([entry for entry in second["access_log"] if entry["action"] == "records.client_export"]) == 2


@pytest.mark.parametrize("path", ["/privacy/data/", DOWNLOAD])
def test_staff_are_refused_and_anonymous_sent_to_sign_in(client, world, counselor_a, admin_user, staff_login, path):
    assert client.get(path)["Location"].startswith("/accounts/login/")
    for staff in (counselor_a, admin_user):
        staff_login(client, staff)
        response = client.get(path)
        assert response.status_code == 403
        assert b"Ayu Lestari" not in response.content
        client.logout()
    assert not AuditEntry.objects.filter(action="records.client_export").exists()


def test_the_service_refuses_anyone_but_a_client(counselor_a):
    from django.core.exceptions import PermissionDenied

    from records.services import client_export

    with pytest.raises(PermissionDenied):
        client_export(client=counselor_a)


def test_a_shredded_client_is_told_their_data_was_erased_not_an_error(client, world, client_a):
    client.force_login(client_a)
    data_key_destroy(owner_id=client_a.pk)  # the key is gone while the page is still open
    response = client.get(DOWNLOAD)
    assert response.status_code == 410
    page = response.content.decode()
    assert "Your data was erased" in page and "There is nothing left to download." in page
    assert not AuditEntry.objects.filter(action="records.client_export").exists()


def test_after_retention_shreds_the_account_the_download_sends_to_sign_in(client, world, client_a):
    client.force_login(client_a)
    assert client_shred(client_id=client_a.pk, rule="test")
    response = client.get(DOWNLOAD)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_page_is_reached_from_the_privacy_pages_and_the_transparency_promise_links_it(client, client_a):
    client.force_login(client_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    erasure = client.get("/privacy/erasure/").content.decode()
    assert 'href="/privacy/data/"' in erasure
    page = client.get("/privacy/data/").content.decode()
    assert "Download all my data" in page and f'href="{DOWNLOAD}"' in page
    transparency = client.get("/consent/transparency/").content.decode()
    assert 'href="/privacy/data/"' in transparency and "with the log of who read or changed it" in transparency
