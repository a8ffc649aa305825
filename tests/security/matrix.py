"""The one table of who may open what: every HTTP route and every WebSocket route, per persona.

Outcomes: "ok" (2xx, or a redirect that is not to the login or second-factor step), "login"
(redirect to login), "mfa" (redirect to the second-factor step or its set-up), "deny" (403 or 404;
for a POST-only route also 400 or 405). WebSocket outcomes: "accept" or "refuse".

Adding a route to the URL configuration without a line here fails tests/security; so does a line
here for a route that no longer exists.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

# The order matters: outsiders first, owners last, so an owner's successful POST (which may change
# or remove the object) never hides what an outsider could have done.
PERSONAS = (
    "anonymous",
    "client_b",
    "counselor_b",
    "admin_no_mfa",
    "counselor_a_no_mfa",
    "client_a",
    "counselor_a",
    "admin",
)


def profile(default: str, **cells: str) -> dict[str, str]:
    table = dict.fromkeys(PERSONAS, default)
    table.update(cells)
    unknown = set(cells) - set(PERSONAS)
    assert not unknown, unknown
    return table


# Staff who have not passed the second factor in this session (counseling.mfa's middleware) reach
# only sign-in, second-factor and the few open pages; everything else sends them to the code step.
_UNVERIFIED = {"counselor_a_no_mfa": "mfa", "admin_no_mfa": "mfa"}
_nobody = {
    "anonymous": "login",
    "client_a": "deny",
    "client_b": "deny",
    "counselor_a": "deny",
    "counselor_b": "deny",
    "admin": "deny",
    **_UNVERIFIED,
}

OPEN = profile("ok")  # open to everyone, unverified staff included (home, sign-in, transparency)
PUBLIC = profile("ok", **_UNVERIFIED)  # open to everyone who is not half signed in
SIGNED_IN = profile("ok", anonymous="login")
ACCOUNT = {**SIGNED_IN, **_UNVERIFIED}  # the person's own account settings: staff after their second factor
# Client pages about the signed-in client only (no object of someone else in the URL).
CLIENT = {**_nobody, "client_a": "ok", "client_b": "ok"}
# Client pages naming client A's object: only client A.
CLIENT_OWN = {**_nobody, "client_a": "ok"}
COUNSELOR = {**_nobody, "counselor_a": "ok", "counselor_b": "ok"}
COUNSELOR_OWN = {**_nobody, "counselor_a": "ok"}
# The client and the counselor of a session or conversation; admins never (break-glass aside).
PARTICIPANTS = {**_nobody, "client_a": "ok", "counselor_a": "ok"}
PARTICIPANT_ROLES = {**PARTICIPANTS, "client_b": "ok", "counselor_b": "ok"}
STAFF = {**_nobody, "counselor_a": "ok", "counselor_b": "ok", "admin": "ok"}
STAFF_OF_A = {**STAFF, "counselor_b": "deny"}
ADMIN_ONLY = {**_nobody, "admin": "ok"}
# The second-factor pages themselves. counselor_a_no_mfa has an authenticator (not passed this
# session); admin_no_mfa has none.
MFA_SETUP = {**STAFF, "counselor_a_no_mfa": "mfa", "admin_no_mfa": "ok"}
MFA_VERIFY = {**STAFF, "counselor_a_no_mfa": "ok", "admin_no_mfa": "mfa"}

# route (as written in the URL configuration) -> (URL name, expected outcome per persona)
HTTP_ROUTES: dict[str, tuple[str, dict[str, str]]] = {
    "": ("home", OPEN),
    "healthz": ("healthz", OPEN),
    "readyz": ("readyz", OPEN),
    "i18n/setlang/": ("set_language", OPEN),
    "accounts/signup/": ("signup", OPEN),
    "accounts/signup/counselor/": ("counselor_signup", OPEN),
    "accounts/signup/sent/": ("signup_sent", OPEN),
    # The signed-in person's own address (everyone in the cast has confirmed theirs: sent on to the dashboard).
    "accounts/verify-email/": ("email_verify_pending", SIGNED_IN),
    # The link from the e-mail: open to all (it signs nobody in); a token that is not ours is refused (404).
    "accounts/verify-email/<str:token>/": ("email_verify", profile("deny")),
    # Under /accounts/ (open to staff before the second factor): an admin is refused by role before the code step.
    "accounts/profile/": ("counselor_profile_edit", {**COUNSELOR, "admin_no_mfa": "deny"}),
    "accounts/login/": ("login", OPEN),
    "accounts/logout/": ("logout", OPEN),
    "accounts/password-reset/": ("password_reset", OPEN),
    "accounts/password-reset/sent/": ("password_reset_done", OPEN),
    "accounts/reset/<uidb64>/<token>/": ("password_reset_confirm", OPEN),
    "accounts/reset/done/": ("password_reset_complete", OPEN),
    "accounts/mfa/setup/": ("mfa:setup", MFA_SETUP),
    "accounts/mfa/verify/": ("mfa:verify", MFA_VERIFY),
    "accounts/mfa/recovery-codes/": ("mfa:recovery_codes", STAFF),
    "accounts/mfa/recovery-codes/renew/": ("mfa:recovery_codes_renew", STAFF),
    "accounts/language/": ("account_language", STAFF),
    # The signed-in person's own account; staff past their second factor. No object of anyone else in the URL:
    # every persona reaches only their own (tests/counseling/test_account_settings.py).
    "accounts/settings/": ("account_settings", ACCOUNT),
    "accounts/settings/password/": ("account_password", ACCOUNT),
    "accounts/settings/email/": ("account_email", ACCOUNT),
    # The world's token is no valid link: the page says so (200), and changes nothing.
    "accounts/settings/email/confirm/<str:token>/": ("account_email_confirm", ACCOUNT),
    # POST-only; each persona's empty POST signs that persona out everywhere, then lands on the home page.
    "accounts/settings/sign-out-everywhere/": ("account_sign_out_everywhere", ACCOUNT),
    "accounts/settings/second-factor/replace/": ("account_second_factor_replace", STAFF),
    # Each person's own notice list; marking one read: only its owner (client A's notice here), 404 for others.
    "notices/": ("notices", {**SIGNED_IN, **_UNVERIFIED}),
    "notices/<int:user_notice_id>/read/": ("notice_read", {**CLIENT_OWN}),
    "intake/": ("intake:home", CLIENT),
    "intake/form/": ("intake:form", CLIENT),
    "intake/identity/": ("intake:identity_upload", CLIENT),
    "sessions/<int:session_id>/location/": ("sessions:session_location", CLIENT_OWN),
    "sessions/<int:session_id>/code-word/": ("sessions:code_word_answer", CLIENT_OWN),
    "sessions/<int:session_id>/code-word/result/": ("sessions:code_word_result", COUNSELOR_OWN),
    "intake/review/": ("intake:review_list", ADMIN_ONLY),
    "intake/review/<int:identity_document_id>/": ("intake:review_detail", ADMIN_ONLY),
    "intake/review/<int:identity_document_id>/document/": ("intake:review_document", ADMIN_ONLY),
    "dashboard/": ("dashboard", SIGNED_IN),
    "client/": ("client_home", CLIENT),
    "counselor/": ("counselor_home", COUNSELOR),
    "staff/": ("staff_home", ADMIN_ONLY),
    "consent/transparency/": ("consent:transparency", OPEN),
    "consent/": ("consent:onboarding", CLIENT),
    "consent/mine/": ("consent:mine", CLIENT),
    "consent/mine/<int:acceptance_id>/": ("consent:acceptance_detail", CLIENT_OWN),
    "consent/withdraw/": ("consent:withdraw", CLIENT),
    "consent/manage/": ("consent:manage", ADMIN_ONLY),
    "consent/manage/drafts/": ("consent:draft_create", ADMIN_ONLY),
    "consent/manage/versions/<int:version_id>/": ("consent:version_edit", ADMIN_ONLY),
    "consent/manage/versions/<int:version_id>/acceptances/": ("consent:version_acceptances", ADMIN_ONLY),
    "consent/manage/export/": ("consent:client_export", ADMIN_ONLY),
    "licensing/counselors/": ("licensing:directory", PUBLIC),
    "licensing/counselors/<int:user_id>/": ("licensing:counselor_profile", PUBLIC),
    "licensing/notices/<int:notice_id>/dismiss/": ("licensing:lapse_notice_dismiss", CLIENT),
    "licensing/mine/": ("licensing:my_licences", COUNSELOR),
    "licensing/application/": ("licensing:application", COUNSELOR),
    "licensing/applications/": ("licensing:applications", ADMIN_ONLY),
    "licensing/review/": ("licensing:queue", ADMIN_ONLY),
    "licensing/review/<int:licence_id>/": ("licensing:review", ADMIN_ONLY),
    "licensing/review/<int:licence_id>/evidence/": ("licensing:evidence", ADMIN_ONLY),
    "sessions/book/": ("sessions:booking_counselors", CLIENT),
    "sessions/book/<int:counselor_id>/": ("sessions:booking_slots", CLIENT),
    "sessions/<int:session_id>/": ("sessions:session_detail", PARTICIPANTS),
    "sessions/<int:session_id>/cancel/": ("sessions:session_cancel", PARTICIPANTS),
    "sessions/<int:session_id>/state/": ("sessions:session_state", COUNSELOR_OWN),
    # Only the session's counselor moves it from here (the client moves theirs through booking, ?reschedule=).
    "sessions/<int:session_id>/reschedule/": ("sessions:session_reschedule", COUNSELOR_OWN),
    # POST-only; either participant changes how the session is held (the empty POST: a redirect with a message).
    "sessions/<int:session_id>/medium/": ("sessions:session_medium", PARTICIPANTS),
    # The video or voice call page: the session's two participants (its socket below says who may join the call).
    "sessions/<int:session_id>/call/": ("sessions:session_call", PARTICIPANTS),
    # POST-only; the owners' empty POST is refused with a message (no reason chosen): a redirect.
    "sessions/series/<int:series_id>/cancel/": ("sessions:series_cancel", PARTICIPANTS),
    # A new client's request, for its counselor only (its client sees the session page). The world's request was
    # accepted already: the owner's POSTs are answered with a message (a redirect) or the page with its errors.
    "sessions/requests/<int:session_id>/": ("sessions:session_request", COUNSELOR_OWN),
    "sessions/requests/<int:session_id>/accept/": ("sessions:session_request_accept", COUNSELOR_OWN),
    "sessions/requests/<int:session_id>/decline/": ("sessions:session_request_decline", COUNSELOR_OWN),
    "sessions/requests/<int:session_id>/override/": ("sessions:suitability_override", COUNSELOR_OWN),
    "sessions/calendar/": ("sessions:calendar_feed_settings", PARTICIPANT_ROLES),
    # The feed at its secret address opens for whoever holds the address, without a session cookie (calendar
    # apps have none); a half-signed-in staff browser is sent to its second factor first, like everywhere.
    "sessions/calendar/<str:feed_token>.ics": ("sessions:calendar_feed", PUBLIC),
    "sessions/availability/": ("sessions:availability", COUNSELOR),
    "sessions/availability/<str:kind>/<int:row_id>/remove/": ("sessions:availability_remove", COUNSELOR_OWN),
    "sessions/clients/<int:client_id>/": ("sessions:caseload_client", COUNSELOR_OWN),
    "clinical/clients/<int:client_id>/measures/": ("clinical:client_measures", COUNSELOR_OWN),
    "clinical/measures/<int:schedule_id>/": ("clinical:measure_fill", CLIENT_OWN),
    "clinical/measures/responses/<int:response_id>/": ("clinical:measure_done", CLIENT_OWN),
    "clinical/clients/<int:client_id>/plan/": ("clinical:client_plan", COUNSELOR_OWN),
    "clinical/plan/": ("clinical:my_plans", CLIENT),
    "sessions/chat/": ("sessions:chat_list", PARTICIPANT_ROLES),
    "sessions/chat/<int:conversation_id>/": ("sessions:conversation_chat", PARTICIPANTS),
    "sessions/chat/<int:conversation_id>/transcript/": ("sessions:conversation_transcript", PARTICIPANTS),
    "sessions/chat/<int:conversation_id>/break-glass/": ("sessions:break_glass", ADMIN_ONLY),
    "sessions/<int:session_id>/chat/": ("sessions:session_chat", PARTICIPANTS),
    # Progress notes: the session's counselor (and their supervisor); never the client, other counselors or admins.
    "clinical/sessions/<int:session_id>/note/": ("clinical:session_note", COUNSELOR_OWN),
    "clinical/sessions/<int:session_id>/note/addendum/": ("clinical:note_addendum", COUNSELOR_OWN),
    # Only the author's supervisor co-signs: the world's note is by a trainee whom counselor A supervises.
    "clinical/notes/<int:note_id>/cosign/": ("clinical:note_cosign", COUNSELOR_OWN),
    "clinical/supervision/": ("clinical:supervision", COUNSELOR),
    "clinical/supervision/manage/": ("clinical:supervision_manage", ADMIN_ONLY),
    "clinical/supervision/<int:supervisee_id>/": ("clinical:supervisee_caseload", COUNSELOR_OWN),
    "clinical/record/": ("clinical:client_record", CLIENT),
    "clinical/record/requests/<int:request_id>/": ("clinical:record_request_answer", COUNSELOR_OWN),
    "sessions/<int:session_id>/messages/": ("sessions:conversation_start", PARTICIPANTS),
    "sessions/<int:session_id>/transcript/": ("sessions:session_transcript", COUNSELOR_OWN),
    # A dropped session: only the session's counselor records what they did (the POST below records it).
    "sessions/drops/<int:drop_id>/record/": ("sessions:session_drop_record", COUNSELOR_OWN),
    "help/": ("escalation:help_request", CLIENT),
    "help/sent/": ("escalation:help_sent", CLIENT),
    "staff/risk/": ("escalation:queue", STAFF),
    "staff/risk/<int:escalation_id>/": ("escalation:detail", STAFF_OF_A),
    # Only whoever holds the escalation's current rung (here counselor A, the client's counselor; the admin
    # is not alerted: admins stand in only for an empty rung), while it is live.
    "staff/risk/<int:escalation_id>/card/": ("escalation:emergency_card", COUNSELOR_OWN),
    # The same holders only; counselor A, the client's own counselor, is sent back to the card ("open the
    # conversation directly"): picking up is for cover (tests/crisis/test_cover_pickup.py).
    "staff/risk/<int:escalation_id>/pick-up/": ("escalation:pickup", COUNSELOR_OWN),
    "staff/risk/<int:escalation_id>/acknowledge/": ("escalation:acknowledge", STAFF_OF_A),
    "staff/risk/<int:escalation_id>/resolve/": ("escalation:resolve", STAFF_OF_A),
    # Drills: only admins start or end one; its page and acknowledgement are for the staff it may alert
    # (here counselor A, on its first rung) and admins (the admin's acknowledgement finds no alert: ok, a no-op).
    "staff/risk/drills/start/": ("escalation:drill_start", ADMIN_ONLY),
    "staff/risk/drills/<int:drill_id>/": ("escalation:drill", STAFF_OF_A),
    "staff/risk/drills/<int:drill_id>/acknowledge/": ("escalation:drill_acknowledge", STAFF_OF_A),
    "staff/risk/drills/<int:drill_id>/end/": ("escalation:drill_end", ADMIN_ONLY),
    "privacy/erasure/": ("retention:erasure_request", CLIENT),
    "privacy/data/": ("retention:client_export", CLIENT),
    "privacy/data/download/": ("retention:client_export_download", CLIENT),
    "staff/erasure/": ("retention:erasure_queue", ADMIN_ONLY),
    "staff/erasure/<int:erasure_id>/": ("retention:erasure_detail", ADMIN_ONLY),
    # Data breach response: admins only (the affected clients' pseudonyms, the notices, the authority's record).
    "staff/incidents/": ("incidents:list", ADMIN_ONLY),
    "staff/incidents/open/": ("incidents:open", ADMIN_ONLY),
    "staff/incidents/<int:incident_id>/": ("incidents:detail", ADMIN_ONLY),
    "staff/incidents/<int:incident_id>/affected/": ("incidents:affected", ADMIN_ONLY),
    "staff/incidents/<int:incident_id>/notices/": ("incidents:notices", ADMIN_ONLY),
    # POST-only; the admin's empty POST is refused with a message (no affected set confirmed yet): a redirect.
    "staff/incidents/<int:incident_id>/notices/send/": ("incidents:notices_send", ADMIN_ONLY),
    "staff/incidents/<int:incident_id>/authority/<str:law>/": ("incidents:authority", ADMIN_ONLY),
}

# Extra query strings and POST bodies, where an empty request would test nothing.
QUERY = {"consent/manage/export/": "?email=a@clients.test&format=json"}
POST_DATA = {
    "consent/manage/drafts/": {"language": "en"},
    "sessions/drops/<int:drop_id>/record/": {"actions": ["wrote", "phoned_client"], "note": "Phoned, no answer."},
}

_CHAT = {
    "anonymous": "refuse",
    "client_a": "accept",
    "client_b": "refuse",
    "counselor_a": "accept",
    "counselor_b": "refuse",
    "counselor_a_no_mfa": "refuse",
    "admin_no_mfa": "refuse",
    "admin": "refuse",
}
WS_ROUTES: dict[str, tuple[str, dict[str, str]]] = {
    # Each person's own notices (ids and short text; details need a page); staff only after their second factor.
    "ws/notifications/": (
        "ws-notifications",
        {
            **dict.fromkeys(PERSONAS, "accept"),
            "anonymous": "refuse",
            "admin_no_mfa": "refuse",
            "counselor_a_no_mfa": "refuse",
        },
    ),
    "ws/chat/<int:conversation_id>/": ("ws-chat", _CHAT),
    "ws/chat/<int:conversation_id>/session/<int:session_id>/": ("ws-session-chat", _CHAT),
    # Signaling of the session's video or voice call: its two participants only, never an admin (no break-glass
    # into a call), and only while the chat's gates hold (tests/sessions/test_call_socket.py).
    "ws/sessions/<int:session_id>/call/": ("ws-session-call", _CHAT),
}


def walk(patterns, prefix: str = "", namespace: str = ""):
    """(route, name) of every URL pattern, recursively, except Django's own admin site."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if getattr(entry, "app_name", None) == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            yield route, f"{namespace}{entry.name}" if entry.name else ""


def http_routes() -> dict[str, str]:
    return dict(walk(get_resolver().url_patterns))


def ws_routes() -> dict[str, str]:
    from counseling.routing import websocket_urlpatterns

    return dict(walk(websocket_urlpatterns))


def fill(route: str, kwargs: dict) -> str:
    """The route with its <converter:name> parameters replaced by the world's objects."""
    import re

    def value(match):
        name = match.group(1)
        if name not in kwargs:
            raise AssertionError(f"no object for parameter {name!r} of {route!r}: add one to the security world")
        return str(kwargs[name])

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", value, route)
