"""The promise register: every promise the client-facing texts make, in one place, with the function that keeps it
and the test that proves it (issue 17).

The published texts are the consent sections in force (consent.default_text and the data migrations that publish
them), the transparency page (templates/consent/transparency.html) and the e-mails a client gets (the session
e-mail, the answers to an erasure request, the breach notice drafts). A Promise names:

- `sources`: where it is published: ("consent", section key), ("transparency",) or ("email", template or text);
- `markers`: per language, the exact words of the published text that make the promise (each must be found in one
  of the sources, in that language's text in force);
- `keeper`: the dotted path of the function that keeps it. A string: consent is a low layer and imports no app
  above it; tests/test_promise_register.py resolves it;
- `proofs`: the tests that prove the keeper keeps it ("tests/path.py::test_name").

NOT_PROMISES lists sentences that contain a promise word (PROMISE_WORDS) and yet promise nothing the platform does,
each with its reason. docs/promises.md is generated from this module (`python manage.py promises_page`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Promise:
    id: str
    statement: str
    sources: tuple[tuple[str, ...], ...]
    markers: dict[str, tuple[str, ...]]
    keeper: str
    proofs: tuple[str, ...]


# The words that make a sentence a promise, per language. A sentence of a published text with one of these words
# must hold a marker of the register or be listed in NOT_PROMISES (tests/test_promise_register.py).
PROMISE_WORDS: dict[str, re.Pattern] = {
    "en": re.compile(
        r"\b(we will|we keep|we tell|we track|we check|we do not|we weigh|we show|we destroy|never|always|within|"
        r"at least|is alerted|are alerted|is told|picks it up|only|every|will|cannot|is detected|are kept|is kept)\b",
        re.IGNORECASE,
    ),
    "id": re.compile(
        r"\b(kami akan|kami menyimpan|kami memberi tahu|kami memantau|kami memeriksa|kami tidak|kami menimbang|"
        r"kami menampilkan|kami musnahkan|tidak pernah|selalu|dalam waktu|paling lambat|sekurang-kurangnya|"
        r"setidaknya|hanya|setiap|akan|tidak dapat|terdeteksi|langsung|tetap disimpan)\b",
        re.IGNORECASE,
    ),
}


def sentences(text: str) -> list[str]:
    """The sentences of a published text: split at line ends and after a full stop, question or exclamation
    mark followed by a space; white space made single."""
    found = []
    for line in text.split("\n"):
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z\"(])", " ".join(line.split())):
            if sentence.strip():
                found.append(sentence.strip())
    return found


CONSENT = "consent"
TRANSPARENCY = ("transparency",)
SESSION_EMAIL = ("email", "sessions/session_email.txt")
ERASURE_EMAIL = ("email", "records.services.erasure_answer_text")
BREACH_EMAIL = ("email", "incidents.notice_text.CLIENT_NOTICE")


def _consent(key: str) -> tuple[str, str]:
    return (CONSENT, key)


def P(id, statement, sources, en, id_, keeper, *proofs) -> Promise:
    return Promise(id, statement, tuple(sources), {"en": tuple(en), "id": tuple(id_)}, keeper, tuple(proofs))


PROMISES: tuple[Promise, ...] = (
    P(
        "licence.verified_with_issuer",
        "Every counselor's licences are checked by an administrator with the issuing body; unverified ones count "
        "for nothing.",
        [_consent("counselor"), TRANSPARENCY],
        [
            "an administrator has checked the licence with the body that issued it",
            "Every counselor here holds licences that an administrator has checked with the bodies that issued them",
        ],
        [
            "administrator telah memeriksa izin tersebut kepada lembaga yang menerbitkannya",
            "Setiap konselor di sini memiliki izin praktik yang sudah diperiksa administrator",
        ],
        "licensing.services.licence_verify",
        "tests/licensing/test_verification.py::test_an_admin_cannot_verify_a_licence_they_submitted",
        "tests/licensing/test_practice_rules.py::test_a_permit_that_is_not_verified_does_not_count",
    ),
    P(
        "licence.disclosed_before_first_session",
        "Before the first session with a counselor the client reads and accepts their name, verified licences and "
        "issuing bodies, place of practice and contact; a change in them needs new consent.",
        [_consent("counselor"), TRANSPARENCY],
        [
            "Before your first session with a counselor you will see their name, credentials",
            "lists those verified licences and their issuing bodies",
        ],
        [
            "Sebelum sesi pertama dengan seorang konselor, Anda akan melihat di sini nama",
            "mencantumkan izin terverifikasi itu beserta lembaga penerbitnya",
        ],
        "consent.selectors.consent_gate",
        "tests/consent/test_gate.py::test_a_general_acceptance_does_not_cover_a_counselor_whose_details_were_not_shown",
        "tests/consent/test_gate.py::test_a_change_in_the_counselors_disclosed_details_needs_new_consent",
    ),
    P(
        "licence.public_profile",
        "Each counselor's public profile shows their verified licences, the issuing bodies and where they may "
        "practise.",
        [_consent("counselor")],
        ["You can read each counselor's credentials, the licensing body and the places where they may practise"],
        ["Kredensial setiap konselor, lembaga pemberi izin, dan wilayah tempat mereka boleh berpraktik"],
        "licensing.selectors.licence_disclosure_lines",
        "tests/licensing/test_directory.py::test_profile_shows_credentials_issuing_body_languages_and_promise",
    ),
    P(
        "licence.whole_set_where_the_client_is",
        "A session starts only if the counselor holds every licence the law of the client's place requires, each "
        "valid at the session time.",
        [_consent("jurisdiction"), TRANSPARENCY, SESSION_EMAIL],
        [
            "your counselor must be licensed for that place",
            "A session can start only if the counselor holds every licence the law requires where you are",
            "Your counselor may counsel you only where they are licensed",
        ],
        [
            "konselor harus memiliki izin untuk tempat itu",
            "Sesi hanya dapat dimulai bila konselor memiliki semua izin yang diwajibkan hukum",
            "Konselor Anda hanya boleh memberi konseling di tempat mereka memiliki izin praktik",
        ],
        "licensing.selectors.jurisdiction_gate",
        "tests/licensing/test_practice_rules.py::test_an_str_alone_is_refused_in_indonesia_naming_the_missing_permit",
        "tests/licensing/test_practice_rules.py::test_an_expired_permit_is_refused_at_the_session_time",
    ),
    P(
        "chat.saved_message_never_lost",
        "A message the server acknowledged as saved survives a dropped connection; the page reconnects by itself.",
        [_consent("technology_failure")],
        ["the page reconnects by itself and no message that was saved is lost"],
        ["pesan yang sudah tersimpan tidak akan hilang"],
        "sessions.chat.services.message_post",
        "tests/faults/test_redis_restart.py::test_a_client_dropping_its_connection_right_after_sending_loses_nothing_and_stores_nothing_twice",
        "tests/sessions/test_chat_store_on_loop.py::test_both_sides_writing_at_once_lose_nothing_and_every_body_opens",
    ),
    P(
        "chat.drop_after_minutes_counselor_acts",
        "A client away from a session in progress longer than CLIENT_RECONNECT_MINUTES (the number the consent "
        "states) is a dropped session: the counselor is told and records what they did.",
        [_consent("technology_failure")],
        ["If it cannot reconnect within 5 minutes, your counselor will write to you on this platform"],
        ["Jika tidak dapat tersambung kembali dalam 5 menit, konselor akan menulis kepada Anda"],
        "sessions.chat.drops.session_drops_check",
        "tests/sessions/test_session_drop.py::test_the_consent_promises_the_configured_reconnection_minutes",
        "tests/sessions/test_session_drop.py::test_a_client_whose_socket_closes_and_stays_away_past_the_setting_is_a_dropped_session",
    ),
    P(
        "chat.drop_rescheduled",
        "A session lost to a technical failure can be moved to a new time by the counselor at any time (the "
        "platform takes no payment, so moving it costs the client nothing).",
        [_consent("technology_failure")],
        ["A session lost to a technical failure is rescheduled at no cost to you"],
        ["Sesi yang gagal karena gangguan teknis dijadwalkan ulang tanpa biaya bagi Anda"],
        "sessions.services.session_reschedule",
        "tests/sessions/test_booking.py::test_rescheduling_moves_the_session_in_one_step_and_links_old_and_new",
    ),
    P(
        "chat.drop_at_risk_climbs",
        "When a client at risk drops, their open escalations climb at once to the next people on the ladder.",
        [_consent("technology_failure")],
        ["If you were at risk when the connection dropped, your counselor follows the emergency plan"],
        ["konselor akan menjalankan rencana darurat yang Anda berikan"],
        "crisis.receivers.on_client_connection_dropped",
        "tests/sessions/test_session_drop.py::test_an_open_escalation_of_the_client_climbs_at_once_when_the_session_drops",
    ),
    P(
        "replies.promised_time",
        "A message between sessions carries the reply time the counselor promised, shown to the client and tracked.",
        [_consent("response_times")],
        ["your counselor promises to answer within the time shown below"],
        ["konselor berjanji menjawab dalam waktu yang tercantum di bawah"],
        "sessions.chat.services.message_post",
        "tests/sessions/test_chat_pages.py::test_messages_between_sessions_show_the_response_time_promise",
        "tests/sessions/test_message_awaiting_reply.py::test_the_database_computes_whether_a_message_awaits_a_reply",
    ),
    P(
        "replies.late_picked_up_by_on_call",
        "A reply later than promised opens an escalation; the on-call counselor is alerted, picks it up and answers.",
        [_consent("response_times")],
        ["We track these promises: if a reply is late, an on-call counselor is told and picks it up"],
        ["Kami memantau janji ini: bila balasan terlambat, konselor jaga diberi tahu dan menindaklanjutinya"],
        "crisis.services.cover_pickup",
        "tests/crisis/test_cover_pickup.py::test_the_published_consent_promises_that_on_call_picks_up_a_late_reply",
        "tests/counseling/test_escalation.py::test_a_client_message_unanswered_past_its_reply_window_opens_one_escalation_to_cover",
        "tests/crisis/test_cover_pickup.py::test_on_call_picks_up_an_overdue_reply_reads_it_and_answers_it",
    ),
    P(
        "emergency.ladder",
        "The help button or a risk phrase alerts the counselor at once; unacknowledged, the alert climbs to the "
        "on-call counselor and then a supervisor.",
        [_consent("emergencies")],
        [
            "your counselor is alerted at once; if your counselor does not answer, an on-call counselor and then a "
            "supervisor are alerted"
        ],
        ["konselor langsung diberi tahu; jika konselor tidak menjawab, konselor jaga lalu supervisor akan diberi tahu"],
        "crisis.services.escalation_advance",
        "tests/counseling/test_escalation.py::test_help_button_opens_one_escalation_and_alerts_the_counselor_in_the_browser_and_by_email",
        "tests/counseling/test_escalation.py::test_a_risk_phrase_in_a_client_message_opens_exactly_one_escalation_with_the_message",
        "tests/counseling/test_escalation.py::test_an_unacknowledged_alert_climbs_to_on_call_then_supervisor_on_timers",
    ),
    P(
        "emergency.a_person_answers",
        "The help button alerts people here, who contact the client; it calls no ambulance or police by itself.",
        [_consent("emergencies")],
        ["Pressing the button does not send an ambulance or the police: a person here contacts you"],
        ["seseorang dari layanan ini yang akan menghubungi Anda"],
        "crisis.services.help_request",
        "tests/counseling/test_help_repeat.py::test_a_press_after_the_acknowledgement_reaches_a_person_even_inside_the_window",
    ),
    P(
        "emergency.a_person_decides",
        "The system only alerts; an escalation stops climbing only when a person acknowledges it with a note.",
        [_consent("emergencies")],
        ["A person always decides what to do; the system never decides alone"],
        ["Keputusan selalu diambil oleh manusia; sistem tidak pernah memutuskan sendiri"],
        "crisis.services.escalation_acknowledge",
        "tests/counseling/test_escalation.py::test_acknowledging_stops_the_ladder_and_needs_a_note",
    ),
    P(
        "sessions.own_time_zone",
        "Session times are shown in the client's own time zone (with the counselor's beside them).",
        [_consent("differences"), SESSION_EMAIL],
        ["Session times are always shown in your own time zone"],
        ["Waktu sesi selalu ditampilkan dalam zona waktu Anda sendiri"],
        "sessions.selectors.session_times",
        "tests/sessions/test_booking.py::test_booking_page_lists_slots_in_the_clients_zone_with_the_counselors_beside_them",
        "tests/sessions/test_states.py::test_the_reminder_goes_out_once_with_both_time_zones",
    ),
    P(
        "privacy.no_third_parties",
        "No page loads anything from another company (no advertising, trackers or analytics); the platform has no "
        "channel that sends client data to an insurer or a marketer.",
        [_consent("insurance"), TRANSPARENCY],
        [
            "We do not send your information to any insurer",
            "We do not use advertising, trackers, analytics services or any script from another company",
            "We do not sell or share your data for marketing",
        ],
        [
            "Kami tidak mengirimkan data Anda kepada perusahaan asuransi mana pun",
            "Kami tidak memakai iklan, pelacak, layanan analitik, atau skrip dari perusahaan lain",
            "Kami tidak menjual atau membagikan data Anda untuk pemasaran",
        ],
        "counseling.middleware.SecurityHeadersMiddleware",
        "tests/security/test_no_external_references.py::test_no_page_loads_anything_from_another_origin_or_inline",
        "tests/counseling/test_settings.py::test_security_headers_forbid_third_party_content",
    ),
    P(
        "access.staff_only_by_break_glass",
        "Administrators cannot open a client's messages except through a recorded, time-limited break-glass with a "
        "reason.",
        [_consent("records_access"), TRANSPARENCY],
        [
            "technical and administrative staff cannot read your messages in normal work",
            "through a break-glass procedure that is recorded and time-limited",
        ],
        [
            "Staf teknis dan administrasi platform tidak dapat membaca pesan Anda dalam pekerjaan sehari-hari",
            "melalui prosedur akses darurat (break-glass) yang tercatat dan dibatasi waktunya",
        ],
        "sessions.chat.selectors.access_chat",
        "tests/sessions/test_chat_pages.py::test_admin_reads_a_conversation_only_after_a_logged_break_glass_reason",
        "tests/security/test_staff_reads_are_audited.py::test_a_break_glass_read_of_a_chat_is_audited_with_its_reason_and_each_read",
    ),
    P(
        "access.landmark_only_to_responders",
        "The address or landmark a client gives for a session is sealed and shown only on the emergency card of "
        "the people who answer their alert.",
        [TRANSPARENCY],
        ["only the people who answer an emergency alert of yours see it"],
        ["hanya orang yang menanggapi peringatan darurat Anda yang dapat melihatnya"],
        "crisis.selectors.escalation_timeline",
        "tests/crisis/test_emergency_card.py::test_the_landmark_is_stored_sealed_and_shown_on_the_card",
    ),
    P(
        "audit.staff_access_logged",
        "Every read or change of client data by staff is written to the audit log, and the client's download holds "
        "that log.",
        [_consent("records_access"), TRANSPARENCY],
        [
            "Every access by staff is written to a tamper-evident audit log, and you can ask who has seen your data",
            "An audit log of who opened, changed or exported your data",
        ],
        [
            "Setiap akses oleh staf dicatat dalam log audit",
            "Log audit tentang siapa yang membuka, mengubah, atau mengekspor data Anda",
        ],
        "counseling.audit.audit_record",
        "tests/security/test_staff_reads_are_audited.py::test_a_staff_read_of_client_records_is_audited",
        "tests/counseling/test_admin_audit.py::test_lists_and_history_pages_of_client_data_are_audited",
    ),
    P(
        "audit.tamper_evident",
        "The audit log is chained with a keyed MAC whose key is not in the database and whose head is exported "
        "outside it; rewritten, inserted, appended and removed entries are named by the check.",
        [_consent("records_access"), TRANSPARENCY],
        [
            "tamper-evident audit log",
            "The audit log is append-only and chained with hashes, so an edited or deleted entry is detected",
        ],
        [
            "log audit yang dirancang agar setiap perubahan atasnya dapat terdeteksi",
            "Log audit hanya dapat ditambah dan dirangkai dengan hash, sehingga catatan yang diubah atau dihapus "
            "akan terdeteksi",
        ],
        "counseling.audit.audit_chain_verify",
        "tests/counseling/test_audit_log.py::test_an_entry_rewritten_with_every_later_hash_and_the_head_recomputed_is_named",
        "tests/counseling/test_audit_log.py::test_a_forged_entry_appended_after_the_last_export_is_named",
        "tests/counseling/test_audit_log.py::test_the_newest_three_entries_removed_with_an_old_head_put_back_are_named",
        "tests/counseling/test_audit_log.py::test_orm_cannot_update_or_delete_entries",
    ),
    P(
        "access.signed_out_after_inactivity",
        "Everyone is signed out after INACTIVITY_TIMEOUT_SECONDS without activity (the minutes the texts state), on "
        "the pages and the chat socket.",
        [_consent("records_access"), TRANSPARENCY],
        [
            "You are signed out automatically after 15 minutes without activity",
            "Everyone is signed out after 15 minutes without activity",
        ],
        [
            "Anda otomatis dikeluarkan setelah 15 menit tanpa aktivitas",
            "Setiap orang dikeluarkan otomatis setelah 15 menit tanpa aktivitas",
        ],
        "counseling.inactivity.inactivity_expired",
        "tests/test_promise_register.py::test_the_texts_state_the_inactivity_minutes_the_settings_give",
        "tests/sessions/test_chat_inactivity.py::test_an_idle_socket_is_signed_out_when_the_timeout_passes",
    ),
    P(
        "access.staff_second_factor",
        "Counselors and administrators reach no client data without a verified second factor.",
        [TRANSPARENCY],
        ["Counselors and administrators sign in with a second factor"],
        ["Konselor dan administrator masuk dengan faktor kedua"],
        "counseling.mfa.session_is_verified",
        "tests/counseling/test_mfa.py::test_no_page_shows_client_data_to_staff_without_a_verified_second_factor",
    ),
    P(
        "browser.outbox_cleared_at_sign_out",
        "Unsent chat messages waiting in the browser are deleted at sign-out (also after inactivity) and the client "
        "is told how many.",
        [TRANSPARENCY],
        ["every message still waiting is deleted from the browser and we tell you how many were deleted"],
        ["setiap pesan yang masih menunggu dihapus dari browser dan kami memberi tahu Anda berapa yang dihapus"],
        "counseling.views._tell_unsent_discarded",
        "tests/counseling/test_sign_out_outbox.py::test_signing_out_says_how_many_unsent_messages_were_discarded_and_clears_the_sites_storage",
        "tests/browser/test_outbox_sign_out.py::test_the_chats_inactivity_sign_out_discards_the_unsent_messages_and_says_how_many",
    ),
    P(
        "care.referral_to_in_person",
        "A counselor who finds online counseling unsuitable records a referral to in-person care, which the client "
        "sees.",
        [_consent("risks_benefits"), _consent("face_to_face")],
        [
            "your counselor will tell you if they think that is the case",
            "they will tell you and help you find in-person care",
        ],
        [
            "konselor akan memberi tahu Anda bila menurutnya demikian",
            "ia akan memberi tahu Anda dan membantu Anda mendapatkan layanan tatap muka",
        ],
        "sessions.services.referral_create",
        "tests/counseling/test_referral.py::test_counselor_records_a_referral_the_client_sees_it_and_the_record_is_sealed",
    ),
    P(
        "crypto.sealed_under_the_clients_key",
        "Messages and personal details are sealed (AES-256-GCM) under a data key used only for that client; a "
        "ciphertext altered or moved is refused.",
        [_consent("confidentiality_limits"), TRANSPARENCY],
        [
            "stored encrypted under a data key used only for your data",
            "encrypted at rest with AES-256-GCM under a data key of your own",
            "A message that was altered or moved is detected and refused",
        ],
        [
            "disimpan terenkripsi dengan kunci data yang hanya dipakai untuk data Anda",
            "AES-256-GCM memakai kunci data milik Anda sendiri",
            "Pesan yang diubah atau dipindahkan akan terdeteksi dan ditolak",
        ],
        "counseling.crypto.seal",
        "tests/sessions/test_chat_encryption.py::test_the_raw_database_column_never_holds_the_plaintext",
        "tests/sessions/test_chat_encryption.py::test_messages_are_sealed_under_the_clients_key_even_when_the_counselor_writes",
        "tests/sessions/test_chat_encryption.py::test_a_ciphertext_moved_to_another_row_fails_and_is_reported",
    ),
    P(
        "crypto.connections_encrypted",
        "In production every connection is HTTPS only (redirect, HSTS, secure cookies), the chat socket included.",
        [_consent("confidentiality_limits"), TRANSPARENCY],
        ["Connections are encrypted", "Every connection is encrypted (TLS), chat included"],
        ["Sambungan dienkripsi", "Setiap sambungan dienkripsi (TLS), termasuk obrolan"],
        "django.middleware.security.SecurityMiddleware",
        "tests/counseling/test_settings.py::test_check_deploy_passes_with_production_settings",
    ),
    P(
        "breach.told_within_3x24_hours",
        "Affected clients and the authority are told of a breach within 3 x 24 hours (UU PDP; 72 hours under the "
        "GDPR): the incident's clocks count it, admins are reminded, notices are drafted in the client's language.",
        [_consent("confidentiality_limits"), TRANSPARENCY, BREACH_EMAIL],
        [
            "we will tell you and the authorities within 3 x 24 hours",
            "we tell you and the authorities within 3 x 24 hours",
            "We are writing to tell you about a security incident",
        ],
        [
            "kami akan memberi tahu Anda dan pihak berwenang dalam waktu 3 x 24 jam",
            "kami memberi tahu Anda dan pihak berwenang dalam waktu 3 x 24 jam",
            "Kami memberi tahu Anda tentang insiden keamanan",
            "kami sudah menjanjikannya dalam persetujuan Anda",
        ],
        "incidents.selectors.uu_pdp_deadline",
        "tests/incidents/test_breach_response.py::test_the_consent_promises_the_uu_pdp_clock_in_both_languages",
    ),
    P(
        "rights.erasure_weighed_and_answered",
        "A client may ask for erasure at any time; staff answer from the retention duties, with the rule and the "
        "date, or erase at once when no duty is left.",
        [_consent("jurisdiction"), TRANSPARENCY, ERASURE_EMAIL],
        [
            "which we weigh against the legal duty to keep clinical records and answer with our reasons",
            "we weigh it against our duty to keep clinical records and answer with the reason",
            "Staff will answer it with the reason",
        ],
        [
            "yang kami timbang terhadap kewajiban hukum menyimpan catatan klinis dan kami jawab beserta alasannya",
            "kami menimbangnya terhadap kewajiban menyimpan catatan klinis dan menjawab beserta alasannya",
            "Staf akan menjawabnya beserta alasannya",
        ],
        "records.services.erasure_answer",
        "tests/counseling/test_erasure.py::test_staff_see_the_duties_and_answer_keep_until_the_date_of_the_rule",
        "tests/counseling/test_erasure.py::test_with_no_duty_left_the_answer_is_erase_now_and_the_client_is_destroyed",
    ),
    P(
        "rights.download_all_data",
        "A client downloads all their data in one machine-readable file with the log of who read or changed it; the "
        "download is itself audited.",
        [_consent("jurisdiction"), TRANSPARENCY],
        ["you may see your data", "in one file a computer can read, with the log of who read or changed it"],
        ["Anda berhak melihat data Anda", "dalam satu berkas yang dapat dibaca komputer"],
        "records.services.client_export",
        "tests/records/test_client_export.py::test_the_file_holds_every_section_with_the_clients_real_data",
        "tests/records/test_client_export.py::test_every_download_is_audited_and_listed_in_its_own_access_log",
    ),
    P(
        "rights.withdraw_consent",
        "A client may withdraw consent; coming sessions are cancelled and chats closed, records are kept.",
        [_consent("jurisdiction")],
        ["withdraw this consent"],
        ["menarik persetujuan ini"],
        "consent.services.consent_withdraw",
        "tests/consent/test_withdrawal.py::test_withdrawal_cancels_future_sessions_notifies_the_counselor_and_closes_chat",
    ),
    P(
        "identity.checked_at_join_and_every_session",
        "A session starts only for a client whose identity document a staff member verified, and the client is "
        "asked for their code word at the start of every session.",
        [_consent("identity_location")],
        [
            "we check your identity when you join (a staff member reviews an identity document) and at the start of "
            "every session (a code word you choose)"
        ],
        ["kami memeriksa identitas Anda saat mendaftar (staf meninjau dokumen identitas) dan pada awal setiap sesi"],
        "identity.selectors.identity_gate",
        "tests/counseling/test_identity_gate.py::test_without_a_verified_identity_the_session_cannot_start",
        "tests/sessions/test_code_word_at_start.py::test_the_client_is_asked_for_the_code_word_on_joining_the_session_chat",
    ),
    P(
        "identity.code_word_is_not_the_password",
        "The code word is its own secret, stored apart from the account password as a one-way hash; no page for "
        "staff asks for or shows a client's password.",
        [_consent("identity_location")],
        ["nobody here ever asks for your password"],
        ["tidak seorang pun di layanan ini akan meminta kata sandi akun Anda"],
        "identity.services.code_word_set",
        "tests/records/test_client_export.py::test_the_file_holds_no_other_clients_data_no_code_word_no_staff_notes_and_no_key_material",
    ),
    P(
        "location.confirmed_before_every_session",
        "Before every session the client confirms where they are; it decides the law, the licence check and the "
        "emergency numbers shown.",
        [_consent("identity_location"), TRANSPARENCY, SESSION_EMAIL],
        [
            "Before every session you confirm where you are",
            "Before each session you confirm where you are, and we show the numbers for that place",
            "Confirm where you will be during the session",
        ],
        [
            "Sebelum setiap sesi Anda mengonfirmasi lokasi Anda",
            "dan kami menampilkan nomor untuk tempat itu",
            "Konfirmasikan di mana Anda akan berada selama sesi",
        ],
        "sessions.selectors.session_start_gate",
        "tests/counseling/test_location.py::test_the_location_decides_the_emergency_numbers",
        "tests/sessions/test_reminder_location.py::test_the_reminder_asks_the_client_to_confirm_their_location_from_when_it_counts",
    ),
    P(
        "retention.longest_duty",
        "Records are kept at least 7 years after the last contact, longer where the law of the client's places or "
        "of their counselors' licence places requires it (the longest wins), or while a legal hold applies.",
        [_consent("retention"), _consent("jurisdiction"), TRANSPARENCY],
        [
            "We keep them for at least 7 years after your last contact",
            "Counseling records are kept for at least 7 years after your last contact",
            "the stricter protection for you is followed where the law allows",
        ],
        [
            "Kami menyimpannya sekurang-kurangnya 7 tahun",
            "Catatan konseling disimpan sekurang-kurangnya 7 tahun",
            "perlindungan yang lebih kuat bagi Anda yang diikuti sejauh hukum mengizinkan",
        ],
        "records.services.retention_duties",
        "tests/counseling/test_retention_places.py::test_the_published_consent_and_transparency_page_promise_the_counselors_place",
        "tests/counseling/test_retention_places.py::test_the_function_keeps_the_promise_with_the_seeded_rules",
        "tests/counseling/test_retention_places.py::test_when_the_clients_place_is_longest_it_wins_over_the_counselors_licence",
    ),
    P(
        "retention.kept_after_withdrawal",
        "Withdrawing consent or closing the account keeps the records (and the consent records) for the whole period.",
        [_consent("retention"), TRANSPARENCY],
        [
            "your records are still kept for that period",
            "this consent record is kept with them",
            "Withdrawing consent or closing your account does not shorten this",
        ],
        [
            "catatan Anda tetap disimpan selama masa itu",
            "catatan persetujuan ini disimpan bersamanya",
            "Menarik persetujuan atau menutup akun tidak memperpendek masa ini",
        ],
        "consent.services.consent_withdraw",
        "tests/consent/test_withdrawal.py::test_withdrawal_keeps_the_consent_records",
    ),
    P(
        "retention.destroyed_on_the_date",
        "When the last duty ends and no hold applies, the client's records are destroyed without them asking; a "
        "hold stops it while it lasts.",
        [ERASURE_EMAIL],
        [
            "will be destroyed on that date without you asking again",
            "We will destroy them when the hold ends and no other duty applies",
            "cannot be erased while it lasts",
            "We keep your counseling records until",
        ],
        [
            "akan dimusnahkan pada tanggal tersebut tanpa Anda perlu meminta lagi",
            "Kami akan memusnahkannya setelah penangguhan berakhir dan tidak ada kewajiban lain",
            "tidak dapat dihapus selama penangguhan berlaku",
            "Kami menyimpan catatan konseling Anda sampai",
        ],
        "records.services.client_shred",
        "tests/counseling/test_retention.py::test_a_client_past_retention_is_crypto_shredded_then_deleted_leaving_a_tombstone",
        "tests/counseling/test_erasure.py::test_a_legal_hold_keeps_the_data_and_says_so",
    ),
    P(
        "retention.crypto_shredded",
        "Destruction destroys the client's own data key: from that moment nothing of theirs can be read on our "
        "systems.",
        [_consent("retention"), TRANSPARENCY, ERASURE_EMAIL],
        [
            "your records are destroyed for good by destroying the encryption key that only your data uses",
            "your data is destroyed for good by destroying your data key (crypto-shredding)",
            "Its encryption key has been destroyed, so it can no longer be read on our systems",
        ],
        [
            "catatan Anda dimusnahkan untuk selamanya dengan menghancurkan kunci enkripsi",
            "data Anda dimusnahkan untuk selamanya dengan menghancurkan kunci data Anda",
            "Kunci enkripsinya sudah dimusnahkan",
        ],
        "records.services.client_shred",
        "tests/sessions/test_chat_encryption.py::test_after_shredding_the_clients_key_their_messages_cannot_be_read",
        "tests/counseling/test_retention.py::test_a_client_past_retention_is_crypto_shredded_then_deleted_leaving_a_tombstone",
    ),
    P(
        "retention.backups_within_days",
        "A backup's copy of a destroyed key becomes unreadable within backup_shred_days() days (epoch length + "
        "backup retention + grace), the number the texts state: the key-encryption key epoch that wrapped it is "
        "retired and destroyed.",
        [_consent("retention"), TRANSPARENCY, ERASURE_EMAIL],
        ["no copy can be read anywhere"],
        ["tidak ada salinan yang dapat dibaca lagi di mana pun"],
        "counseling.kek_epochs.kek_epoch_retire",
        "tests/consent/test_backup_promise.py::test_the_consent_in_force_carries_version_3s_retention_and_states_the_days_the_settings_give",
        "tests/consent/test_backup_promise.py::test_the_transparency_page_states_the_same_number",
        "tests/counseling/test_kek_epochs.py::test_a_backup_of_a_shredded_key_opens_until_its_epoch_is_retired_and_never_after",
    ),
    P(
        "call.never_recorded",
        "Video and voice are never recorded: the call socket accepts only signaling frames (no binary frame, no "
        "media), and after a whole call nothing that was signaled is stored.",
        [_consent("confidentiality_limits")],
        [
            "Video and voice are never recorded by us: the platform has no recording feature",
            "and never reach our servers to be stored",
        ],
        [
            "Video dan suara tidak pernah kami rekam: platform ini tidak memiliki fitur perekaman",
            "tidak pernah sampai ke server kami untuk disimpan",
        ],
        "sessions.calls.consumers.CallConsumer",
        "tests/consent/test_call_promises.py::test_the_call_socket_accepts_only_the_signaling_frames_of_the_contract",
        "tests/consent/test_call_promises.py::test_a_binary_frame_or_a_frame_of_another_type_is_refused_with_an_error",
        "tests/consent/test_call_promises.py::test_after_a_whole_call_nothing_that_was_signaled_is_stored",
    ),
    P(
        "call.relay_cannot_see_or_hear",
        "The media are encrypted end to end between the browsers (DTLS-SRTP); the call socket passes each offer and "
        "answer, which carry the browsers' DTLS fingerprints, to the other browser unchanged, so neither our "
        "servers nor the TURN relay hold a key to them.",
        [_consent("confidentiality_limits")],
        ["our relay server passes them on still encrypted, and it cannot see or hear them"],
        ["server perantara (relay) kami meneruskannya dalam keadaan tetap terenkripsi"],
        "sessions.calls.consumers.CallConsumer",
        "tests/consent/test_call_promises.py::test_the_offer_and_answer_reach_the_other_browser_exactly_as_sent",
    ),
    P(
        "call.only_times_kept",
        "Of a call only its events (started, connected, ended, failed), their times and the duration are stored.",
        [_consent("confidentiality_limits")],
        ["Of a call we keep only when it started, connected and ended, and how long it lasted"],
        ["Dari sebuah panggilan, kami hanya menyimpan kapan panggilan dimulai, tersambung, dan berakhir"],
        "sessions.models.CallEvent",
        "tests/consent/test_call_promises.py::test_a_call_event_has_no_field_for_content",
        "tests/consent/test_call_promises.py::test_a_call_leaves_only_its_times_and_duration",
    ),
    P(
        "call.medium_chosen_and_changeable",
        "A session is held by video, voice or chat as chosen at booking; either participant may change it until "
        "the start, not after.",
        [_consent("risks_benefits")],
        ["you choose when you book, and you can change it before the session starts"],
        ["Anda memilihnya saat memesan sesi, dan dapat mengubahnya sebelum sesi dimulai"],
        "sessions.services.session_medium_change",
        "tests/consent/test_call_promises.py::test_the_way_a_session_is_held_can_be_changed_until_it_starts_and_not_after",
    ),
    P(
        "call.failure_offers_reconnect_and_chat",
        "A call that fails or loses its connection says so on the page, offers to reconnect and links to the "
        "session's chat, where the chat's rules for a dropped connection apply.",
        [_consent("technology_failure")],
        ["both pages say so and offer to connect again, and the session goes on in its chat"],
        ["kedua halaman menyampaikannya dan menawarkan untuk menyambung kembali, lalu sesi berlanjut di obrolan"],
        "sessions.calls.views.session_call",
        "tests/browser/test_call.py::test_a_call_that_cannot_connect_says_so_and_offers_reconnect_and_the_chat",
    ),
    P(
        "call.camera_only_on_the_call_page",
        "Every page forbids the camera and microphone (Permissions-Policy camera=(), microphone=()) except the pages "
        "of views decorated with allows_camera_and_microphone (the call page), which allow them for our own origin "
        "only; the browser asks the person before either is used.",
        [_consent("confidentiality_limits")],
        ["This site may use your camera and microphone only on the call page of a session"],
        ["Situs ini hanya dapat memakai kamera dan mikrofon Anda di halaman panggilan sebuah sesi"],
        "counseling.middleware.allows_camera_and_microphone",
        "tests/counseling/test_permissions_policy.py::test_an_ordinary_page_forbids_camera_and_microphone",
        "tests/counseling/test_permissions_policy.py::test_a_page_of_a_decorated_view_allows_camera_and_microphone_for_our_origin_only",
    ),
    P(
        "booking.first_request_answered_or_expired",
        "A new client's first booking with a counselor is a request the counselor accepts or declines; one not "
        "answered by its deadline expires and frees the time. The client is told by e-mail either way.",
        [SESSION_EMAIL],
        ["We tell you by e-mail either way"],
        ["Kami memberi tahu Anda lewat email, apa pun jawabannya"],
        "sessions.services.session_request_expire",
        "tests/sessions/test_requests.py::test_an_unanswered_request_expires_frees_the_slot_and_tells_the_client",
        "tests/sessions/test_requests.py::test_declining_frees_the_slot_records_the_referral_and_tells_the_client_kindly_in_english",
        "tests/sessions/test_requests.py::test_accepting_makes_an_ordinary_session_tells_the_client_and_later_bookings_are_ordinary",
    ),
)

# Sentences with a promise word that promise nothing the platform does. The reason says why.
ADVICE = "advice to the client about their own side; the platform promises nothing here"
COUNSELOR_DUTY = (
    "a counselor's professional duty (ACA code, HIMPSI code), kept by the counselor's judgement and supervision, "
    "not by a function"
)
HEADING = "a heading of the transparency page"
NOT_PROMISES: tuple[tuple[str, str], ...] = (
    ("What we cannot promise", HEADING),
    ("Apa yang tidak dapat kami janjikan", HEADING),
    ("How long it is kept, and how it is destroyed", HEADING),
    ("In text, your counselor cannot see your face or hear your voice", "describes a risk, promises nothing"),
    ("Melalui tulisan, konselor tidak dapat melihat wajah", "describes a risk, promises nothing"),
    (
        "Messages between sessions are not watched around the clock, so never use them for an emergency",
        "a warning: says what is NOT watched",
    ),
    (
        "Selama sesi yang telah dipesan, konselor menjawab secara langsung",
        "describes a session as a live chat; the timed promise is replies.promised_time",
    ),
    ("your counselor will not add, follow or message you on social media", COUNSELOR_DUTY),
    ("konselor tidak akan menambahkan, mengikuti, atau mengirim pesan kepada Anda di media sosial", COUNSELOR_DUTY),
    (
        "we cannot prevent that technically",
        "describes a risk of video and voice (the other person recording), promises nothing",
    ),
    (
        "kami tidak dapat mencegahnya secara teknis",
        "describes a risk of video and voice (the other person recording), promises nothing",
    ),
    ("Protect your side too", ADVICE),
    ("Jagalah juga dari sisi Anda", ADVICE),
    ("Help us protect you", ADVICE),
    ("Bantu kami melindungi Anda", ADVICE),
    ("Never rely on one number alone", ADVICE),
    ("Jangan hanya mengandalkan satu nomor", ADVICE),
    (
        "Online counseling is a choice, not the only option",
        "states that care elsewhere is open to the client; the platform's part is care.referral_to_in_person",
    ),
    ("face-to-face counseling is always an option", "the same: care elsewhere is open to the client"),
    ("konseling tatap muka selalu dapat menjadi pilihan", "the same: care elsewhere is open to the client"),
    (
        "We keep your counseling strictly confidential",
        "a summary; what it means is promised sentence by sentence (crypto.*, access.*, audit.*)",
    ),
    (
        "Your counselor must also break confidentiality when the law or their code of ethics requires it",
        "states a limit of confidentiality; " + COUNSELOR_DUTY,
    ),
    ("Konselor juga wajib membuka kerahasiaan", "states a limit of confidentiality; " + COUNSELOR_DUTY),
    ("Where possible, they will talk with you first", COUNSELOR_DUTY),
    ("Bila memungkinkan, konselor akan membicarakannya dengan Anda terlebih dahulu", COUNSELOR_DUTY),
    (
        "Authorities, only where the law obliges us",
        "states the legal limit of confidentiality; the platform has no function that hands data to an authority",
    ),
    (
        "Pihak berwenang, hanya bila hukum mewajibkan kami",
        "states the legal limit of confidentiality; the platform has no function that hands data to an authority",
    ),
    (
        "You can always complain to us first, or ask us to check a licence again",
        "an invitation to write to us; handled by people",
    ),
    ("Anda selalu dapat mengadu kepada kami terlebih dahulu", "an invitation to write to us; handled by people"),
    (
        "Amerika Serikat: konselor diberi izin oleh dewan konseling setiap negara bagian",
        'describes US licensing law ("setiap": each state)',
    ),
)


def promises_markdown() -> str:
    """docs/promises.md: the register as a page a reader can scan."""
    lines = [
        "# The promises we make to clients",
        "",
        "Generated from `consent/promises.py` by `python manage.py promises_page`; do not edit by hand.",
        "`tests/test_promise_register.py` fails when a promise in the published texts (the consent in force, the",
        "transparency page, the client's e-mails) is missing here, when the words below are no longer published,",
        "or when a keeper or a proving test does not exist.",
        "",
    ]
    for promise in PROMISES:
        sources = ", ".join(" ".join(source) for source in promise.sources)
        lines += [
            f"## `{promise.id}`",
            "",
            promise.statement,
            "",
            f"- Published in: {sources}",
            *(f'- Words ({language}): "{" / ".join(words)}"' for language, words in promise.markers.items()),
            f"- Kept by: `{promise.keeper}`",
            *(f"- Proved by: `{proof}`" for proof in promise.proofs),
            "",
        ]
    lines += ["# Sentences that sound like promises and are not", ""]
    lines += [f'- "{sentence}": {reason}' for sentence, reason in NOT_PROMISES]
    return "\n".join(lines) + "\n"
