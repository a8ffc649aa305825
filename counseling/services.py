"""Writes of the core app: accounts, profiles, login throttling."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from counseling.audit import audit_record
from counseling.models import ClientProfile, CounselorProfile, Role, User


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
