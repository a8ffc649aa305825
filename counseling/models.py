import base64
import hashlib
import json
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils.translation import gettext_lazy as _

from counseling.clock import now

# Languages a counselor may counsel in, each in its own name (found by those who speak it).
COUNSELING_LANGUAGES = [
    ("id", "Bahasa Indonesia"),
    ("en", "English"),
    ("jv", "Basa Jawa"),
    ("su", "Basa Sunda"),
    ("ms", "Bahasa Melayu"),
    ("zh", "中文"),
    ("ar", "العربية"),
    ("es", "Español"),
]
TIME_ZONE_CHOICES = sorted((name, name) for name in zoneinfo.available_timezones() if "/" in name)


class Role(models.TextChoices):
    CLIENT = "client", _("Client")
    COUNSELOR = "counselor", _("Counselor")
    ADMIN = "admin", _("Admin")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **fields):
        fields.setdefault("role", Role.CLIENT)
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        # An admin is made by an operator (createsuperuser) who vouches for the address; sign-ups verify theirs.
        fields.setdefault("email_verified_at", now())
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """One account per person, e-mail as login. The role decides what the person may see."""

    email = models.EmailField(_("e-mail address"), unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CLIENT)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=now)
    # The language a counselor or admin chose for their pages, alerts and e-mails (blank: not chosen).
    # A client's language is their profile's preferred_language, chosen at sign-up.
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True, default="")
    # When the person opened the link we e-mailed them (counseling.email_verification); empty: not yet. A client
    # books and a counselor works only after it: the address is how we reach them between sessions.
    email_verified_at = models.DateTimeField(_("e-mail address verified at"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.email

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_client(self) -> bool:
        return self.role == Role.CLIENT

    @property
    def is_counselor(self) -> bool:
        return self.role == Role.COUNSELOR

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def display_name(self) -> str:
        """The name other people see: a client's pseudonym, a counselor's professional name."""
        profile = getattr(self, "client_profile", None) or getattr(self, "counselor_profile", None)
        return profile.display_name if profile else self.email.split("@")[0]


class ClientProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_profile")
    # Counselors see this by default; the legal name is kept apart, encrypted, at intake.
    display_name = models.CharField(_("display name or pseudonym"), max_length=80)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="id"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Asia/Jakarta")

    def __str__(self) -> str:
        return self.display_name


def comma_items(text: str) -> list[str]:
    """A comma-separated field's items (a profile's languages, its specialities), trimmed, blanks dropped."""
    return [item.strip() for item in text.split(",") if item.strip()]


class CounselorProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="counselor_profile")
    display_name = models.CharField(_("professional name"), max_length=120)
    professional_title = models.CharField(_("professional title"), max_length=160)
    bio = models.TextField(_("biography"), blank=True)
    languages = models.CharField(
        _("languages"), max_length=64, default="id,en", help_text=_("Comma-separated language codes, e.g. id,en")
    )
    time_zone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Asia/Jakarta")
    practice_location = models.CharField(_("physical location of practice"), max_length=200)
    practice_country = models.CharField(_("country of practice (ISO 3166-1)"), max_length=2, default="ID")
    contact_email = models.EmailField(_("professional contact e-mail"), blank=True)
    contact_phone = models.CharField(_("professional contact phone"), max_length=32, blank=True)
    response_time_promise_hours = models.PositiveIntegerField(
        _("promised reply time between sessions (hours)"), default=24
    )
    caseload_limit = models.PositiveIntegerField(_("caseload limit"), default=30)
    # What the counselor works with, in their own words, for the directory's filter ("anxiety, grief, couples").
    specialities = models.CharField(
        _("specialities"), max_length=300, blank=True, help_text=_("Comma-separated, e.g. anxiety, grief, couples")
    )
    approach = models.TextField(_("approach"), blank=True)
    # A public portrait: re-encoded from pixels only and made small (counseling.services.counselor_photo_clean).
    photo = models.BinaryField(_("photo"), null=True, blank=True)
    photo_content_type = models.CharField(max_length=32, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.display_name}, {self.professional_title}"

    @property
    def speciality_list(self) -> list[str]:
        return comma_items(self.specialities)

    @property
    def photo_data_uri(self) -> str:
        """The photo inline (the pages' CSP allows data: images), "" without one."""
        if not self.photo:
            return ""
        return f"data:{self.photo_content_type};base64,{base64.b64encode(bytes(self.photo)).decode()}"

    @property
    def language_codes(self) -> list[str]:
        return comma_items(self.languages)


class Notice(models.Model):
    """One notice as it was sent to a person's open pages (counseling.notifications.notify_user_now), kept for the
    notice list (/notices/) with read and unread: what the page showed (title, body, link), never client content
    (the senders put none in their notices: ids, pseudonyms, times, links). Written at send time, per person.

    `ref` is the sender's id of the thing the notice is about; a further notice of the same kind about the same
    thing replaces the unread one (a second message in one conversation is one unread notice, not two)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=64)
    ref = models.CharField(max_length=64, blank=True, default="")
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True, default="")
    url = models.CharField(max_length=500, blank=True, default="")
    link = models.CharField(max_length=120, blank=True, default="")
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notice_user_unread")]

    def __str__(self) -> str:
        return self.title


class DataKey(models.Model):
    """A person's own data key, stored only wrapped by a key-encryption key (counseling.crypto).

    Destroying it (crypto-shredding) makes every ciphertext sealed under it unreadable in the live
    database at once, and in every backup once the KEK epoch that wrapped it there is retired (KekEpoch).
    `previous_wrapped_key` is the key a data key rotation replaced, kept (wrapped under the same KEK) only
    until the rotation's second pass has re-sealed whatever a process still sealed under it.
    """

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="data_key")
    kek_id = models.CharField(max_length=32)
    wrapped_key = models.BinaryField(null=True)
    previous_wrapped_key = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    rewrapped_at = models.DateTimeField(null=True, blank=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"data key of user {self.owner_id} ({'destroyed' if self.destroyed_at else self.kek_id})"


class KekEpoch(models.Model):
    """What the database knows of one key-encryption key epoch (never the key: that lives only in the
    environment). `emptied_at`: when the last live data key left it (after its epoch ended); backups taken
    after that hold no key wrapped under it. `retired_at`: when it was retired; its key must then be gone
    from the environment and the secret store (counseling.checks refuses a retired key)."""

    kek_id = models.CharField(max_length=32, unique=True)
    emptied_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"KEK epoch {self.kek_id}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit log is append-only.")

    def delete(self):
        raise PermissionError("The audit log is append-only.")


class AuditChainHead(models.Model):
    """A single row whose lock serialises appends, so the chain never forks.

    It also says how long the chain is and what its newest MAC is, under a MAC of its own (`mac`, key
    `key_id`), so removing the newest entries and setting the head back needs the audit key too; a copy of
    an older head put back is caught only by the heads exported outside the database (counseling.audit).
    """

    last_hash = models.CharField(max_length=64, default="0" * 64)
    length = models.BigIntegerField(default=0)
    key_id = models.CharField(max_length=32, blank=True, default="")
    mac = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"audit chain head at #{self.length}"


class AuditEntry(models.Model):
    """Who did what to which record, when and from where. Append-only and MAC-chained (counseling.audit).

    `entry_hash` is HMAC-SHA256 under the audit key named by `key_id` over the entry's content and
    `prev_hash`, the MAC of the entry before. Entries written before the audit key existed have an empty
    `key_id` and a plain SHA-256 in `entry_hash`. The actor is kept as an id and a label, not a foreign
    key, so that deleting an account can never rewrite or remove its history.
    """

    sequence = models.BigIntegerField(unique=True)
    at = models.DateTimeField(default=now, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True, db_index=True)
    subject_id = models.BigIntegerField(
        null=True, blank=True, db_index=True, help_text="The client whose data this concerns, if any."
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=32, blank=True, default="")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.target_type}:{self.target_id} by {self.actor_label}"

    def canonical(self, *, sequence: int | None = None) -> bytes:
        """The bytes the MAC covers: every field but the MAC itself, as canonical JSON.

        `sequence` replaces the stored number (the check for an entry inserted before this one asks
        whether it verifies one place earlier).
        """
        payload = self._payload(sequence=self.sequence if sequence is None else sequence)
        payload["key_id"] = self.key_id
        return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()

    def compute_hash(self, *, sequence: int | None = None) -> str:
        """The unkeyed SHA-256 of the entries written before the audit key (empty key_id)."""
        payload = self._payload(sequence=self.sequence if sequence is None else sequence)
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def _payload(self, *, sequence: int) -> dict:
        return {
            "sequence": sequence,
            "at": self.at.isoformat(),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "subject_id": self.subject_id,
            "ip_address": self.ip_address,
            "detail": self.detail,
            "prev_hash": self.prev_hash,
        }

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only.")
