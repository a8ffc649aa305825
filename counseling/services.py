"""Writes of the core app: accounts, sign-up and e-mail verification, profiles, login and sign-up throttling."""

from __future__ import annotations

import hashlib
import io

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from PIL import Image

from counseling.audit import audit_record
from counseling.clock import now
from counseling.documents import JPEG, PDF, DocumentRefused, clean_document
from counseling.email_verification import email_verification_path
from counseling.mail import email_person
from counseling.models import ClientProfile, CounselorProfile, Role, User
from counseling.notifications import site_link


def attempt_allowed(*, scope: str, key: str, limit: int, window: int) -> bool:
    """Count one attempt of `scope` by `key` (an address, an account) and say whether it is within `limit` for the
    fixed window that began with the first one. Refused attempts count too, so hammering never reopens it early;
    the window still ends, so nobody is locked out for good. `key` is hashed: the cache holds no address."""
    digest = hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()[:32]
    counter = f"attempts:{scope}:{digest}"
    if cache.add(counter, 1, timeout=window):
        return True
    try:
        count = cache.incr(counter)
    except ValueError:  # expired between add and incr
        cache.set(counter, 1, timeout=window)
        return True
    return count <= limit


def signup_attempt_allowed(*, ip: str | None) -> bool:
    """Sign-up from one real client address (counseling.client_address), SIGNUP_ADDRESS_LIMIT per window."""
    return attempt_allowed(
        scope="signup", key=ip or "-", limit=settings.SIGNUP_ADDRESS_LIMIT, window=settings.ACCOUNT_EMAIL_WINDOW_SECONDS
    )


def password_reset_attempt_allowed(*, ip: str | None) -> bool:
    return attempt_allowed(
        scope="password-reset",
        key=ip or "-",
        limit=settings.PASSWORD_RESET_ADDRESS_LIMIT,
        window=settings.ACCOUNT_EMAIL_WINDOW_SECONDS,
    )


def account_email_allowed(*, user: User) -> bool:
    """May we write one more account e-mail (reset link, sign-up notice, verification link) to `user` now?
    ACCOUNT_EMAIL_LIMIT per window, whoever asks: nobody can flood a mailbox through our forms."""
    return attempt_allowed(
        scope="account-email",
        key=str(user.pk),
        limit=settings.ACCOUNT_EMAIL_LIMIT,
        window=settings.ACCOUNT_EMAIL_WINDOW_SECONDS,
    )


def _sign_up(*, email: str, password: str, role: str, create_profile, request, action: str) -> User | None:
    """Create the account and its profile and e-mail the verification link; or, when the address already has an
    account, create nothing and e-mail its owner instead. The page answers both alike ("we sent you an e-mail"),
    so sign-up never tells anyone which addresses have accounts (issue 20, item 8)."""
    email = email.strip().lower()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(email=email, password=password, role=role)
                create_profile(user)
                audit_record(actor=user, action=action, target=user, subject=user, request=request)
                email_verification_send(user=user, request=request)
            return user
        except IntegrityError:  # the same address signed up at the same moment
            existing = User.objects.filter(email__iexact=email).first()
            if existing is None:
                raise
    else:
        make_password(password)  # the time a new account takes, so the answer's timing does not tell either
    _tell_address_taken(user=existing, request=request)
    return None


def _tell_address_taken(*, user: User, request=None) -> None:
    audit_record(actor=None, action="account.signup_address_taken", target=user, request=request)
    if not account_email_allowed(user=user):
        return
    sign_in, reset = site_link(reverse("login")), site_link(reverse("password_reset"))
    confirm = "" if user.email_verified else email_verification_path(user=user)

    def body(confirm_link: str) -> str:
        text = _(
            "Someone, perhaps you, tried to create an account with this e-mail address. You already have one.\n\n"
            "Sign in: %(sign_in)s\nForgot your password? Reset it: %(reset)s\n\n"
            "If it was not you, you need not do anything: nothing was changed."
        ) % {"sign_in": sign_in, "reset": reset}
        if confirm_link:
            text += "\n\n" + _("Your address is not confirmed yet. Confirm it here: %(link)s") % {"link": confirm_link}
        return text

    email_person(
        recipient=user,
        subject=lambda: _("Someone tried to sign up with your address"),
        body=body,
        link_path=confirm,
    )


def client_sign_up(
    *, email: str, password: str, display_name: str, preferred_language: str, time_zone: str, request=None
) -> User | None:
    """Create a client account and profile, unverified, and e-mail the link that verifies it. None when the
    address already has an account (its owner is e-mailed instead). Input is already validated by ClientSignUpForm."""

    def profile(user):
        ClientProfile.objects.create(
            user=user, display_name=display_name, preferred_language=preferred_language, time_zone=time_zone
        )

    return _sign_up(
        email=email,
        password=password,
        role=Role.CLIENT,
        create_profile=profile,
        request=request,
        action="account.client_signed_up",
    )


def counselor_sign_up(
    *,
    email: str,
    password: str,
    display_name: str,
    professional_title: str,
    practice_location: str,
    practice_country: str,
    time_zone: str,
    language: str,
    request=None,
) -> User | None:
    """A counselor applies: an account, unverified, with a profile that no client sees until an admin has verified
    one of their licences (licensing.selectors.directory_entries). None when the address already has an account."""

    def profile(user):
        user.language = language
        user.save(update_fields=["language"])
        CounselorProfile.objects.create(
            user=user,
            display_name=display_name,
            professional_title=professional_title,
            practice_location=practice_location,
            practice_country=practice_country,
            time_zone=time_zone,
            languages=language,
        )

    return _sign_up(
        email=email,
        password=password,
        role=Role.COUNSELOR,
        create_profile=profile,
        request=request,
        action="account.counselor_applied",
    )


def email_verification_send(*, user: User, request=None) -> bool:
    """E-mail `user` the link that confirms their address (after the transaction commits). False, sending
    nothing, when it is confirmed already or this account had its share of e-mails for now."""
    if user.email_verified or not account_email_allowed(user=user):
        return False

    def body(link: str) -> str:
        return _(
            "Please confirm that this is your e-mail address by opening this link:\n%(link)s\n\n"
            "The link works for %(days)d days. If you did not create an account, you can ignore this e-mail."
        ) % {"link": link, "days": settings.EMAIL_VERIFICATION_MAX_AGE_SECONDS // (24 * 3600)}

    email_person(
        recipient=user,
        subject=lambda: _("Confirm your e-mail address"),
        body=body,
        link_path=email_verification_path(user=user),
    )
    audit_record(actor=user, action="account.email_verification_sent", target=user, request=request)
    return True


def email_verify(*, user: User, request=None) -> bool:
    """Mark `user`'s address confirmed (they opened a valid link, counseling.email_verification). Returns whether
    it changed; a second click changes nothing."""
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk, email_verified_at__isnull=True).update(email_verified_at=now())
        user.refresh_from_db(fields=["email_verified_at"])
        if changed:
            audit_record(actor=user, action="account.email_verified", target=user, request=request)
    return bool(changed)


PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_PIXELS = 25_000_000
PHOTO_SIZE = (480, 480)


class ProfileError(ValueError):
    """A refused profile change, with a message the counselor can act on."""


def counselor_photo_clean(*, name: str, data: bytes) -> tuple[bytes, str]:
    """A portrait as kept: a PNG or JPEG checked by its bytes and re-encoded from its pixels
    (counseling.documents.clean_document: no EXIF, no GPS), then made at most PHOTO_SIZE. Or ProfileError."""
    if name.lower().endswith(".pdf"):
        raise ProfileError(_("Please choose a photo: a .jpg or .png file."))
    try:
        clean = clean_document(name=name, data=data, max_bytes=PHOTO_MAX_BYTES, max_pixels=PHOTO_MAX_PIXELS)
    except DocumentRefused as refused:
        messages = {
            "too_large": _("The photo is larger than 5 MB."),
            "too_many_pixels": _("The photo has too many pixels. Please choose a smaller one."),
            "type_mismatch": _("The file's content does not match its name: use a .jpg or .png file."),
        }
        raise ProfileError(messages.get(refused.code, _("Please choose a photo: a .jpg or .png file."))) from refused
    if clean.content_type == PDF:
        raise ProfileError(_("Please choose a photo: a .jpg or .png file."))
    with Image.open(io.BytesIO(clean.data)) as image:  # our own re-encoded file, its size already checked
        image.thumbnail(PHOTO_SIZE)
        out = io.BytesIO()
        image.save(out, format="JPEG" if clean.content_type == JPEG else "PNG")
    return out.getvalue(), clean.content_type


PROFILE_FIELDS = (
    "display_name",
    "professional_title",
    "bio",
    "languages",
    "specialities",
    "approach",
    "practice_location",
    "time_zone",
)


def counselor_profile_update(
    *,
    counselor: User,
    photo: tuple[bytes, str] | None = None,
    photo_remove: bool = False,
    request=None,
    **fields,
) -> list[str]:
    """A counselor edits their own profile (nobody edits another's here; admins use the admin site). `photo` is
    what counselor_photo_clean kept. Returns the names of the fields that changed; the change is audit-logged
    with those names (not their values: a bio is the counselor's to publish, not the log's to copy)."""
    if counselor.role != Role.COUNSELOR:
        raise PermissionDenied
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"not profile fields: {sorted(unknown)}")
    with transaction.atomic():
        profile = CounselorProfile.objects.select_for_update().get(user=counselor)
        changed = [name for name, value in fields.items() if getattr(profile, name) != value]
        for name in changed:
            setattr(profile, name, fields[name])
        if photo is not None:
            profile.photo, profile.photo_content_type = photo
            changed += ["photo", "photo_content_type"]
        elif photo_remove and profile.photo:
            profile.photo, profile.photo_content_type = None, ""
            changed += ["photo", "photo_content_type"]
        if changed:
            profile.save(update_fields=changed)
            audit_record(
                actor=counselor,
                action="account.counselor_profile_changed",
                target=counselor,
                request=request,
                detail={"fields": sorted(set(changed) - {"photo_content_type"})},
            )
    return [name for name in changed if name != "photo_content_type"]


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
    """An admin creates a counselor (counselors also apply themselves: counselor_sign_up). The admin vouches for
    the address, so it counts as verified."""
    with transaction.atomic():
        user = User.objects.create_user(email=email, password=password, role=Role.COUNSELOR, email_verified_at=now())
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
