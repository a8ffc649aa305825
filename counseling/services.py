"""Writes of the core app: accounts, sign-up and e-mail verification, profiles, account settings, login and
sign-up throttling, the notice list."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.core import signing
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
from counseling.models import TIME_ZONE_CHOICES, ClientProfile, CounselorProfile, Role, User
from counseling.notifications import site_link, user_sockets_close_on_commit


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
    return _staff_language_save(user=user, language=language, action="account.language_changed", request=request)


def _staff_language_save(*, user: User, language: str, action: str, request=None) -> bool:
    """Store a staff member's language on their account (User.language); a change is audited as `action`, with the
    old and the new language. Returns whether it changed."""
    with transaction.atomic():
        current = User.objects.select_for_update().values_list("language", flat=True).get(pk=user.pk)
        user.language = language
        if current == language:
            return False
        user.save(update_fields=["language"])
        audit_record(actor=user, action=action, target=user, request=request, detail={"from": current, "to": language})
    return True


def account_language_adopt(*, user: User, language: str, request=None) -> bool:
    """At sign-in: the language the person chose before signing in (the language cookie) becomes their account's,
    so the pages, notices and e-mails after sign-in stay in it: a client's preferred language, a counselor's or
    admin's own language. A language the site does not offer is ignored. Returns whether it changed; a change is
    audit-logged with the old and the new language."""
    if language not in dict(settings.LANGUAGES):
        return False
    action = "account.language_adopted_at_sign_in"
    if user.role != Role.CLIENT:
        return _staff_language_save(user=user, language=language, action=action, request=request)
    with transaction.atomic():
        profile = ClientProfile.objects.select_for_update().filter(user=user).first()
        if profile is None or profile.preferred_language == language:
            return False
        current = profile.preferred_language
        profile.preferred_language = language
        profile.save(update_fields=["preferred_language"])
        if hasattr(user, "client_profile"):
            user.client_profile.preferred_language = language
        audit_record(actor=user, action=action, target=user, request=request, detail={"from": current, "to": language})
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


# --- Account settings: each person changes only their own account (`user` is the signed-in person) -----------


def _address_digest(address: str) -> str:
    """An e-mail address in the audit log, which is never shredded: its digest, as the failed sign-ins have."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


def account_profile_update(
    *, user: User, language: str, display_name: str | None = None, time_zone: str | None = None, request=None
) -> list[str]:
    """The settings page's first form: a client's display name, time zone and preferred language; a counselor's
    time zone and language; an admin's language. None leaves a field as it is (a counselor's professional name is
    the one on their licence, not changed here). Refuses what the site does not offer with a ValueError whose
    message a person can act on. Returns the names of the fields that changed; the change is audit-logged
    (the time zone and language from and to; a display name only as changed, it is a person's chosen name)."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(_("Choose English or Bahasa Indonesia."))
    if time_zone is not None and time_zone not in dict(TIME_ZONE_CHOICES):
        raise ValueError(_("Choose a time zone from the list."))
    if display_name is not None:
        display_name = display_name.strip()
        if not display_name or len(display_name) > 80:
            raise ValueError(_("Please choose a display name of at most 80 characters."))
    changed: list[str] = []
    detail: dict[str, object] = {}
    with transaction.atomic():
        if user.role in (Role.COUNSELOR, Role.ADMIN):
            if account_language_set(user=user, language=language, request=request):
                changed.append("language")
        profile = None
        if user.role == Role.CLIENT:
            profile = ClientProfile.objects.select_for_update().get(user=user)
        elif user.role == Role.COUNSELOR:
            profile = CounselorProfile.objects.select_for_update().get(user=user)
        fields = []
        if profile is not None and time_zone is not None and profile.time_zone != time_zone:
            detail["time_zone"] = {"from": profile.time_zone, "to": time_zone}
            profile.time_zone = time_zone
            fields.append("time_zone")
        if user.role == Role.CLIENT:
            if display_name is not None and profile.display_name != display_name:
                detail["display_name"] = "changed"
                profile.display_name = display_name
                fields.append("display_name")
            if profile.preferred_language != language:
                detail["preferred_language"] = {"from": profile.preferred_language, "to": language}
                profile.preferred_language = language
                fields.append("preferred_language")
        if fields:
            profile.save(update_fields=fields)
            setattr(user, f"{user.role}_profile", profile)
            audit_record(actor=user, action="account.profile_changed", target=user, request=request, detail=detail)
        changed += fields
    return changed


def _session_keys_of(*, user_id: int) -> list[str]:
    """The keys of the live database sessions signed in as this person. Django's sessions name the user only
    inside their signed data, so every live session is read: a rare action (a new password, signing out
    everywhere) over the sessions of the last SESSION_COOKIE_AGE at most."""
    wanted = str(user_id)
    keys = []
    for session in Session.objects.filter(expire_date__gt=now()).iterator(chunk_size=500):
        if str(session.get_decoded().get("_auth_user_id", "")) == wanted:
            keys.append(session.session_key)
    return keys


def _sessions_end(*, user_id: int, keep: str | None = None) -> int:
    keys = [key for key in _session_keys_of(user_id=user_id) if key != keep]
    Session.objects.filter(session_key__in=keys).delete()
    return len(keys)


def account_password_change(*, user: User, current_password: str, new_password: str, request) -> int:
    """A new password for the signed-in person, who typed their current one. The browser that changed it stays
    signed in (update_session_auth_hash); every other session of the person is deleted, and every open socket
    closes (counseling.receivers sees the password change). The person is told by e-mail. Returns how many
    other sessions ended. The new password is validated by the caller (AUTH_PASSWORD_VALIDATORS)."""
    if not user.check_password(current_password):
        audit_record(actor=user, action="account.password_change_refused", target=user, request=request)
        raise ValueError(_("Your current password is not correct."))
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        update_session_auth_hash(request, user)
        ended = _sessions_end(user_id=user.pk, keep=request.session.session_key)
        audit_record(
            actor=user,
            action="account.password_changed",
            target=user,
            request=request,
            detail={"other_sessions_ended": ended},
        )
        email_person(
            recipient=user,
            subject=lambda: _("Your password was changed"),
            body=lambda link: (
                _(
                    "The password of your account was changed, and every other device signed in to your account was "
                    "signed out. If you did not do this, reset your password now: %(link)s"
                )
                % {"link": link}
            ),
            link_path=reverse("password_reset"),
        )
    return ended


def account_sign_out_everywhere(*, user: User, request) -> int:
    """Sign the person out on every device, this one included: every session of theirs is deleted and every open
    socket closes. Returns how many sessions ended (this one included)."""
    with transaction.atomic():
        audit_record(actor=user, action="account.signed_out_everywhere", target=user, request=request)
        request.sign_out_reason = "signed_out_everywhere"  # the open sockets say why (counseling.receivers)
        logout(request)
        ended = 1 + _sessions_end(user_id=user.pk)
        user_sockets_close_on_commit(user_id=user.pk, reason="signed_out_everywhere")
    return ended


EMAIL_CHANGE_SALT = "counseling.account.email-change"


def account_email_change_request(*, user: User, new_email: str, current_password: str, request=None) -> str:
    """The signed-in person asks to use another address. Nothing changes yet: the new address gets a signed link
    that works for EMAIL_CHANGE_LINK_HOURS, and the change happens only when it is followed
    (account_email_change_confirm); the current address is told at once, so a stranger at the keyboard cannot
    move the account away unseen. An address that already has an account gets a notice instead of the link,
    and the page says the same in both cases: the form does not tell whose address is registered. Returns the
    address as it will be stored (lower case)."""
    new_email = User.objects.normalize_email(new_email.strip()).lower()
    if not user.check_password(current_password):
        audit_record(actor=user, action="account.email_change_refused", target=user, request=request)
        raise ValueError(_("Your current password is not correct."))
    if new_email == user.email.lower():
        raise ValueError(_("This is already your e-mail address."))
    taken = User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).exists()
    hours = settings.EMAIL_CHANGE_LINK_HOURS
    with transaction.atomic():
        audit_record(
            actor=user,
            action="account.email_change_requested",
            target=user,
            request=request,
            detail={"to_sha256": _address_digest(new_email), "address_taken": taken},
        )
        if taken:
            email_person(
                recipient=user,
                address=new_email,
                subject=lambda: _("This address already has an account"),
                body=lambda link: _(
                    "Someone asked to use this e-mail address for an account, but an account with this address "
                    "already exists, so nothing was changed. If that was you, sign in with this address instead."
                ),
            )
        else:
            token = signing.dumps(
                {"u": user.pk, "to": new_email, "from": _address_digest(user.email)}, salt=EMAIL_CHANGE_SALT
            )
            email_person(
                recipient=user,
                address=new_email,
                subject=lambda: _("Confirm your new e-mail address"),
                body=lambda link: (
                    _(
                        "To use this address for your account, open this link while signed in, within %(hours)d hours: "
                        "%(link)s\n\nIf you did not ask for this, ignore this e-mail: nothing changes."
                    )
                    % {"hours": hours, "link": link}
                ),
                link_path=reverse("account_email_confirm", kwargs={"token": token}),
            )
        email_person(
            recipient=user,
            subject=lambda: _("A change of your e-mail address was requested"),
            body=lambda link: (
                _(
                    "Someone signed in to your account asked to use another e-mail address for it. It changes only if "
                    "the link sent to that address is opened within %(hours)d hours. If this was not you, change your "
                    "password now: %(link)s"
                )
                % {"hours": hours, "link": link}
            ),
            link_path=reverse("account_settings"),
        )
    return new_email


@dataclass(frozen=True)
class EmailChangeLink:
    new_email: str


def account_email_change_link(*, user: User, token: str) -> EmailChangeLink:
    """Read the link sent to a new address: for this signed-in person, not expired, not used. Raises ValueError
    with the reason a person can act on."""
    not_valid = _("This link is not valid. Copy the whole link from the e-mail, or ask for a new one.")
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=settings.EMAIL_CHANGE_LINK_HOURS * 3600)
    except signing.SignatureExpired:
        raise ValueError(_("This link has expired. Ask for a new one on your settings page.")) from None
    except signing.BadSignature:
        raise ValueError(not_valid) from None
    if not isinstance(data, dict) or not {"u", "to", "from"} <= set(data):
        raise ValueError(not_valid)
    if data["u"] != user.pk:
        raise ValueError(_("This link is for another account. Sign in with the account that asked for the change."))
    if data["from"] != _address_digest(user.email):
        raise ValueError(_("This link was already used, or your address changed since it was sent."))
    return EmailChangeLink(new_email=data["to"])


def account_email_change_confirm(*, user: User, token: str, request=None) -> str:
    """Follow the link: the account's address becomes the new one, the old address is told, and the change is
    audit-logged. A link works once (it names the address it replaces). Returns the new address."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        new_email = account_email_change_link(user=user, token=token).new_email
        old_email = user.email
        if User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).exists():
            raise ValueError(_("Another account uses this address now, so it cannot be yours."))
        user.email = new_email
        # The link was opened from the new mailbox: that confirms the new address as sign-up's link would.
        user.email_verified_at = now()
        try:
            with transaction.atomic():
                user.save(update_fields=["email", "email_verified_at"])
        except IntegrityError:
            raise ValueError(_("Another account uses this address now, so it cannot be yours.")) from None
        audit_record(
            actor=user,
            action="account.email_changed",
            target=user,
            request=request,
            detail={"from_sha256": _address_digest(old_email), "to_sha256": _address_digest(new_email)},
        )
        email_person(
            recipient=user,
            address=old_email,
            subject=lambda: _("Your e-mail address was changed"),
            body=lambda link: _(
                "The e-mail address of your account was changed; we write to the new address from now on. If you "
                "did not do this, someone else may be using your account."
            ),
        )
    return new_email
