"""Second factor for counselors and admins (ACA H.3 "unique accounts, MFA"; HIPAA 164.312(d)).

TOTP through django-otp, with one-time recovery codes held by a static device. Staff see no client
data until `request.user.is_verified()` (counseling.permissions); this module holds the reads and
writes of that step so views stay thin.
"""

from __future__ import annotations

import segno
from django.conf import settings
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from counseling.audit import audit_record
from counseling.clock import now

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"


def needs_second_factor(user) -> bool:
    """Counselors and admins must pass a second factor before any client data."""
    return bool(user.is_authenticated and (user.is_counselor or user.is_admin))


def has_confirmed_device(user) -> bool:
    return user_has_device(user, confirmed=True)


def confirmed_device_owners(*, user_ids: list[int]) -> set[int]:
    """Which of these people have a confirmed authenticator (one query, for lists of staff)."""
    return set(TOTPDevice.objects.filter(user_id__in=user_ids, confirmed=True).values_list("user_id", flat=True))


def passed_with_authenticator(user) -> bool:
    """Did this request's session pass the second factor with a confirmed authenticator of `user`? django_otp's
    OTPMiddleware read that device for this request and checked it is the user's and confirmed (otp_device)."""
    device = getattr(user, "otp_device", None)
    return isinstance(device, TOTPDevice) and device.confirmed and device.user_id == user.pk


def second_factor_redirect(request):
    """Where a counselor or admin goes before any client data: set up a second factor, or pass it. A counselor
    who applied and has not confirmed their e-mail address does that first (counseling.email_verification)."""
    if request.user.is_counselor and not request.user.email_verified:
        return redirect("email_verify_pending")
    step = "mfa:verify" if has_confirmed_device(request.user) else "mfa:setup"
    return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")


def session_is_verified(*, user, session) -> bool:
    """For places without OTPMiddleware (WebSocket consumers): did this session pass the second factor?

    `session` is a Django session (``scope["session"]`` in Channels). Clients need no second factor.
    """
    if not needs_second_factor(user):
        return bool(user.is_authenticated)
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    if not persistent_id:
        return False
    device = Device.from_persistent_id(persistent_id)
    return bool(device is not None and device.user_id == user.pk and device.confirmed)


def totp_device_pending(*, user) -> TOTPDevice:
    """The unconfirmed authenticator the user is setting up (created once, reused on reload)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def totp_qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URL as an SVG QR code, self-hosted (a data: URI; no third-party QR service)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def totp_secret_for_humans(device: TOTPDevice) -> str:
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def recovery_codes_issue(*, user, request=None) -> list[str]:
    """Replace the user's recovery codes with fresh ones and return them (shown once, never stored plain
    anywhere else). Old codes stop working."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
        audit_record(
            actor=user, action="mfa.recovery_codes_issued", target=user, request=request, detail={"count": len(codes)}
        )
    return codes


def totp_device_confirm(*, request, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm a pending authenticator with its first code. On success the session is verified and
    fresh recovery codes are returned; on failure None (and the device's throttle counts it)."""
    user = request.user
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
        if not device.verify_token(token.strip().replace(" ", "")):
            audit_record(actor=user, action="mfa.setup_failed", target=user, request=request)
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # One authenticator at a time: an older one (lost phone) stops working, only now that the new one works.
        replaced, _ = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        audit_record(
            actor=user, action="mfa.device_confirmed", target=user, request=request, detail={"replaced": replaced}
        )
        codes = recovery_codes_issue(user=user, request=request)
    otp_login(request, device)
    request.session.pop(REPLACE_SESSION_KEY, None)
    return codes


def second_factor_verify(*, request, token: str) -> bool:
    """Check a code from the authenticator or a recovery code; mark the session verified on success.

    Repeated failures are slowed down by django-otp's per-device throttling (each failure doubles
    the wait) and every failure is in the audit log.
    """
    user = request.user
    token = token.strip().replace(" ", "").lower()
    matched = None
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if device.verify_token(token):
                matched = device
                break
    if matched is None:
        audit_record(actor=user, action="mfa.verify_failed", target=user, request=request)
        return False
    otp_login(request, matched)
    audit_record(
        actor=user,
        action="mfa.verified",
        target=user,
        request=request,
        detail={"method": "recovery_code" if isinstance(matched, StaticDevice) else "totp"},
    )
    return True


def recovery_codes_left(*, user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# Replacing the authenticator: a code of the current factor typed now, not only the one passed at sign-in
# (a session left open on a shared machine must not swap the factor), and good for this long.
REPLACE_SESSION_KEY = "mfa_replace_verified_at"
REPLACE_WINDOW_SECONDS = 10 * 60


def second_factor_devices(*, user) -> list[dict]:
    """What the settings page lists: the confirmed authenticator (when it was set up and last used) and how many
    recovery codes are left."""
    return [
        {"name": device.name, "created_at": device.created_at, "last_used_at": device.last_used_at}
        for device in TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id")
    ]


def replace_reverify(*, request, token: str) -> bool:
    """Start replacing the authenticator: a code of the current one (or a recovery code), checked now, opens
    REPLACE_WINDOW_SECONDS in which the set-up page offers a new one. The old one keeps working until the new
    one is confirmed with its own code (totp_device_confirm), so a staff member never has no second factor."""
    user = request.user
    if not has_confirmed_device(user):
        return False
    if not second_factor_verify(request=request, token=token):
        return False
    request.session[REPLACE_SESSION_KEY] = now().timestamp()
    audit_record(actor=user, action="mfa.replace_started", target=user, request=request)
    return True


def replace_allowed(request) -> bool:
    started = request.session.get(REPLACE_SESSION_KEY)
    return isinstance(started, (int, float)) and 0 <= now().timestamp() - started <= REPLACE_WINDOW_SECONDS


def otp_issuer() -> str:
    return getattr(settings, "OTP_TOTP_ISSUER", "") or settings.SITE_NAME


class SecondFactorRequiredMiddleware:
    """Defence in depth: a counselor or admin who has not passed the second factor in this session
    reaches only the sign-in, second-factor and public pages, whatever decorator a view uses.

    The role decorators (counseling.permissions) already send them to the code step; this catches
    views that only use login_required or an access_* check.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and needs_second_factor(user)
            and not user.is_verified()
            and not self._open_to_unverified(request.path_info)
        ):
            return second_factor_redirect(request)
        return self.get_response(request)

    @staticmethod
    def _open_to_unverified(path: str) -> bool:
        exact = {reverse("home"), reverse("healthz"), reverse("readyz"), reverse("dashboard"), "/favicon.ico"}
        prefixes = ("/accounts/", "/i18n/", settings.STATIC_URL, reverse("consent:transparency"))
        return path in exact or path.startswith(prefixes)
