"""Writes of the core app: accounts, profiles, login throttling, the notice list."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from counseling.audit import audit_record
from counseling.clock import now
from counseling.models import ClientProfile, CounselorProfile, Notice, Role, User


def client_sign_up(
    *, email: str, password: str, display_name: str, preferred_language: str, time_zone: str, request=None
) -> User:
    """Create a client account and profile. Input is already validated by ClientSignUpForm."""
    with transaction.atomic():
        user = User.objects.create_user(email=email, password=password, role=Role.CLIENT)
        ClientProfile.objects.create(
            user=user, display_name=display_name, preferred_language=preferred_language, time_zone=time_zone
        )
        audit_record(actor=user, action="account.client_signed_up", target=user, subject=user, request=request)
    return user


def counselor_create(
    *,
    created_by,
    email: str,
    password: str,
    display_name: str,
    professional_title: str,
    practice_location: str,
    **profile_fields,
) -> User:
    """Counselors are created by admins, never by sign-up."""
    with transaction.atomic():
        user = User.objects.create_user(email=email, password=password, role=Role.COUNSELOR)
        CounselorProfile.objects.create(
            user=user,
            display_name=display_name,
            professional_title=professional_title,
            practice_location=practice_location,
            **profile_fields,
        )
        audit_record(actor=created_by, action="account.counselor_created", target=user)
    return user


def admin_create(*, created_by, email: str, password: str) -> User:
    with transaction.atomic():
        user = User.objects.create_superuser(email=email, password=password)
        audit_record(actor=created_by, action="account.admin_created", target=user)
    return user


def account_language_set(*, user: User, language: str, request=None) -> bool:
    """A counselor or admin chooses the language of their own pages, alerts and e-mails (counseling.mail.language_of,
    counseling.middleware.ChosenLanguageMiddleware). `user` is the signed-in person: nobody sets another's.

    Clients are refused (PermissionDenied): theirs is the profile's preferred language. A language the site
    does not offer raises ValueError with a message a person can act on. Returns whether it changed; a change
    is audit-logged with the old and the new language.
    """
    if user.role not in (Role.COUNSELOR, Role.ADMIN):
        raise PermissionDenied
    if language not in dict(settings.LANGUAGES):
        raise ValueError(_("Choose English or Bahasa Indonesia."))
    with transaction.atomic():
        current = User.objects.select_for_update().values_list("language", flat=True).get(pk=user.pk)
        user.language = language
        if current == language:
            return False
        user.save(update_fields=["language"])
        audit_record(
            actor=user,
            action="account.language_changed",
            target=user,
            request=request,
            detail={"from": current, "to": language},
        )
    return True


def account_language_adopt(*, user: User, language: str, request=None) -> bool:
    """At sign-in: the language the person chose before signing in (the language cookie) becomes their account's,
    so the pages, notices and e-mails after sign-in stay in it: a client's preferred language, a counselor's or
    admin's own language. A language the site does not offer is ignored. Returns whether it changed; a change is
    audit-logged with the old and the new language."""
    if language not in dict(settings.LANGUAGES):
        return False
    with transaction.atomic():
        if user.role == Role.CLIENT:
            profile = ClientProfile.objects.select_for_update().filter(user=user).first()
            if profile is None or profile.preferred_language == language:
                return False
            current = profile.preferred_language
            profile.preferred_language = language
            profile.save(update_fields=["preferred_language"])
            if hasattr(user, "client_profile"):
                user.client_profile.preferred_language = language
        else:
            current = User.objects.select_for_update().values_list("language", flat=True).get(pk=user.pk)
            if current == language:
                return False
            user.language = language
            user.save(update_fields=["language"])
        audit_record(
            actor=user,
            action="account.language_adopted_at_sign_in",
            target=user,
            request=request,
            detail={"from": current, "to": language},
        )
    return True


def _login_counters(*, email: str, ip: str | None) -> list[tuple[str, int]]:
    """The cache keys counting failed sign-ins that concern this attempt, each with its limit (settings.py,
    "Login throttling"). The address is the real client's (counseling.client_address)."""
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    counters = [
        (f"login-fail:account-address:{account}:{ip or '-'}", settings.LOGIN_FAILURE_LIMIT),
        (f"login-fail:account:{account}", settings.LOGIN_FAILURE_ACCOUNT_LIMIT),
    ]
    if ip:
        counters.append((f"login-fail:address:{ip}", settings.LOGIN_FAILURE_ADDRESS_LIMIT))
    return counters


def login_is_throttled(*, email: str, ip: str | None) -> bool:
    """Refuse the attempt without checking the password: this account from this address, this address, or this
    account from everywhere has failed too often within the window. A refused attempt counts nowhere, so one
    address adds at most LOGIN_FAILURE_LIMIT failures to an account's own counter per window."""
    return any((cache.get(key) or 0) >= limit for key, limit in _login_counters(email=email, ip=ip))


def login_failure_record(*, email: str, ip: str | None) -> None:
    """Count one failed sign-in on each counter for the window that started with the counter's first failure
    (a fixed window: later failures do not extend it, so every lock ends)."""
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    for key, _limit in _login_counters(email=email, ip=ip):
        if cache.add(key, 1, timeout=window):
            continue
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=window)
    audit_record(
        actor=None,
        action="auth.login_failed",
        target_type="counseling.user",
        ip_address=ip,
        detail={"email_sha256": hashlib.sha256(email.lower().encode()).hexdigest()},
    )


def login_failures_clear(*, email: str, ip: str | None) -> None:
    """After a successful sign-in, forget this account's failures from this address only: the account's and the
    address's own counters keep counting what others did."""
    cache.delete(_login_counters(email=email, ip=ip)[0][0])


# --- The notice list (/notices/) ----------------------------------------------------------------------------


def _site_path(value) -> str:
    """Only a path on this site, as static/js/alerts.js follows it: "/x/", never "//elsewhere" or "/\\elsewhere"."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value[:500]
    return ""


def _text(value, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def notice_keep(*, user_id: int, payload: dict) -> Notice | None:
    """Keep a notice as it is sent to the person's open pages (counseling.notifications), for their notice list.

    Only a notice with a title is kept: one without is an event for a page that listens for it itself (a session's
    state, a code word checked). What is kept is what the page shows (title, body, link), which never holds
    client content. A notice about the same thing (its type and id) replaces the unread one, newest first."""
    title = _text(payload.get("title"), 300)
    if not title:
        return None
    kind = _text(payload.get("type"), 64) or "notice"
    ref = payload.get("id")
    ref = "" if ref is None else str(ref)[:48]
    if ref and payload.get("press"):  # a repeated press of the help button is a new notice
        ref = f"{ref}-{payload['press']}"[:64]
    fields = {
        "title": title,
        "body": _text(payload.get("body"), 1000),
        "url": _site_path(payload.get("url")),
        "link": _text(payload.get("link"), 120),
        "urgent": kind.startswith("escalation.") or payload.get("urgent") is True,
        "created_at": now(),
    }
    with transaction.atomic():
        if ref:
            notice = (
                Notice.objects.select_for_update()
                .filter(user_id=user_id, kind=kind, ref=ref, read_at__isnull=True)
                .order_by("-created_at")
                .first()
            )
            if notice is not None:
                for name, value in fields.items():
                    setattr(notice, name, value)
                notice.save(update_fields=list(fields))
                return notice
        return Notice.objects.create(user_id=user_id, kind=kind, ref=ref, **fields)


def notice_mark_read(*, user, notice_id: int) -> bool:
    """The person marks one of their own notices read. False if it is not theirs (nobody reads another's) or was
    read already."""
    return bool(Notice.objects.filter(pk=notice_id, user=user, read_at__isnull=True).update(read_at=now()))


def notices_mark_all_read(*, user) -> int:
    """Every unread notice of the person, read now. Returns how many."""
    return Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=now())
