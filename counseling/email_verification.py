"""Whether a person has shown they read the address they signed up with: the link we e-mail and its gate.

The link carries a signed, expiring token (django.core.signing.TimestampSigner through signing.dumps): the
account's id and a digest of the address it was sent to, so a link sent to an old address stops working once the
address changes, and the address itself never appears in a URL. It expires after EMAIL_VERIFICATION_MAX_AGE_SECONDS.
Opening it proves the mailbox, not the person; it never signs anyone in.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from counseling.gates import GateResult
from counseling.models import User

SALT = "counseling.email-verification"


def _address_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:20]


def email_verification_token(*, user: User) -> str:
    return signing.dumps({"u": user.pk, "e": _address_digest(user.email)}, salt=SALT, compress=True)


def email_verification_path(*, user: User) -> str:
    """The path of the link that confirms `user`'s current address (mail adds the site's origin)."""
    return reverse("email_verify", args=[email_verification_token(user=user)])


class TokenInvalid(ValueError):
    """`code` is "expired" or "invalid" (tampered, for another address, no such account)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def email_verification_user(*, token: str) -> User:
    """The account whose current address `token` confirms, or TokenInvalid."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE_SECONDS)
    except signing.SignatureExpired as expired:
        raise TokenInvalid("expired") from expired
    except signing.BadSignature as bad:
        raise TokenInvalid("invalid") from bad
    if not isinstance(payload, dict):
        raise TokenInvalid("invalid")
    user = User.objects.filter(pk=payload.get("u"), is_active=True).first()
    if user is None or _address_digest(user.email) != payload.get("e"):
        raise TokenInvalid("invalid")
    return user


def email_verified_gate(*, user) -> GateResult:
    """Has `user` confirmed their e-mail address? Booking asks it first (sessions.selectors.booking_gate):
    reminders, cancellations and a counselor's notices reach a client only there."""
    if getattr(user, "email_verified_at", None) is not None:
        return GateResult.ok()
    return GateResult.refuse(
        "email_unverified",
        _("Please confirm your e-mail address first: open the link we sent you, or have it sent again."),
        reverse("email_verify_pending"),
    )
