"""The one function that turns a consent version (and a counselor) into the text a client reads.

The page shows `RenderedConsent.sections`; the acceptance stores `RenderedConsent.text` and its
SHA-256. Both come from the same call, so the hash is of exactly what was shown.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _

from consent.disclosure import counselor_credentials
from consent.models import ConsentVersion
from counseling.clock import now


@dataclass(frozen=True)
class RenderedSection:
    key: str
    title: str
    body: str


@dataclass(frozen=True)
class RenderedConsent:
    version: ConsentVersion
    counselor_id: int | None
    heading: str
    sections: tuple[RenderedSection, ...]

    @property
    def text(self) -> str:
        """The canonical text: heading, then each section's title and body, separated by blank lines."""
        parts = [self.heading]
        for section in self.sections:
            parts.append(section.title)
            parts.append(section.body)
        return "\n\n".join(parts)

    @property
    def sha256(self) -> str:
        return consent_text_hash(self.text)


def consent_text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _normalise(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n")]
    return "\n".join(lines)


def _counselor_disclosure(profile, credentials: tuple[str, ...]) -> dict[str, str]:
    """What the counselor discloses, per section key, in the active language (ACA H.2.a).

    Credentials are the licences an admin verified with their issuing bodies and that are valid today
    (consent.disclosure, read in the active language); the counselor's own free-text title is shown only as a title.
    A licence that is verified or lapses changes the disclosure, so the client consents again (consent_gate).
    """
    credential_lines = [_("Verified licences:")] + [f"- {line}" for line in credentials]
    if not credentials:
        credential_lines = [_("Verified licences: none on record at the moment.")]
    contact = ", ".join(part for part in (profile.contact_email, profile.contact_phone) if part) or _(
        "through the messages on this platform"
    )
    languages = ", ".join(profile.language_codes)
    return {
        "counselor": "\n".join(
            [
                _("Counselor: %(name)s") % {"name": profile.display_name},
                _("Professional title: %(title)s") % {"title": profile.professional_title},
                *credential_lines,
                _("Physical location of practice: %(location)s (country %(country)s)")
                % {"location": profile.practice_location, "country": profile.practice_country},
                _("Professional contact: %(contact)s") % {"contact": contact},
            ]
        ),
        "response_times": _("Your counselor promises to reply to messages between sessions within %(hours)s hours.")
        % {"hours": profile.response_time_promise_hours},
        "differences": _("Your counselor works in the time zone %(tz)s and counsels in these languages: %(languages)s.")
        % {"tz": profile.time_zone, "languages": languages},
    }


def _generic_disclosure() -> dict[str, str]:
    return {
        "counselor": _(
            "Before your first session with a counselor you will see their name, credentials, physical "
            "location of practice and professional contact here, and accept them."
        ),
    }


# A published version's sections never change (consent.models refuses it), so each process reads them once. The key
# holds published_at too, and saving a version or a section forgets its version's entry (published_sections_forget):
# a row id used again for another version (a test database rolled back) never finds the old text.
_published_sections: dict[tuple, tuple[tuple[str, str, str], ...]] = {}
_PUBLISHED_SECTIONS_KEPT = 256


def _sections_of(version: ConsentVersion) -> tuple[tuple[str, str, str], ...]:
    """(key, title, body) of each section, normalised, in their order."""
    key = (version.pk, version.published_at)
    if version.is_published and key in _published_sections:
        return _published_sections[key]
    sections = tuple(
        (section.key, _normalise(section.title), _normalise(section.body))
        for section in version.sections.all().order_by("position", "pk")
    )
    if version.is_published:
        if len(_published_sections) >= _PUBLISHED_SECTIONS_KEPT:
            _published_sections.clear()
        _published_sections[key] = sections
    return sections


def published_sections_forget(*, version_id) -> None:
    for key in [key for key in _published_sections if key[0] == version_id]:
        _published_sections.pop(key, None)
    for key in [key for key in _rendered_sha256s if key[0] == version_id]:
        _rendered_sha256s.pop(key, None)


# consent_rendered_sha256's hashes, by everything the rendered text depends on: the published version (its sections
# never change: _sections_of), what the heading shows of it, each field of the counselor's profile the disclosure
# shows, and the credential lines as read today in the version's language. The translations are the process's own.
_rendered_sha256s: dict[tuple, str] = {}
_RENDERED_SHA256S_KEPT = 1024


def _profile_facts(profile) -> tuple:
    """Every field of the counselor's profile that _counselor_disclosure shows."""
    return (
        profile.display_name,
        profile.professional_title,
        profile.practice_location,
        profile.practice_country,
        profile.contact_email,
        profile.contact_phone,
        profile.response_time_promise_hours,
        profile.time_zone,
        tuple(profile.language_codes),
    )


def consent_rendered_sha256(*, version: ConsentVersion, counselor) -> str:
    """consent_render(version=version, counselor=counselor).sha256 (what a client's acceptance is compared with),
    rendered once per process for a published version and the same disclosure: the consent gate asks it on every
    page that books, chats or lists a caseload, and the credentials must still be read each time (they are in the
    key: a licence verified or lapsed today gives another text)."""
    profile = getattr(counselor, "counselor_profile", None) if counselor is not None else None
    if profile is None or not version.is_published:
        return consent_render(version=version, counselor=counselor).sha256
    with translation.override(version.language):
        credentials = _credentials(counselor)
    key = (
        version.pk,
        version.published_at,
        version.language,
        version.number,
        version.effective_at,
        _profile_facts(profile),
        credentials,
    )
    sha256 = _rendered_sha256s.get(key)
    if sha256 is None:
        sha256 = _render(version=version, counselor=counselor, profile=profile, credentials=credentials).sha256
        if len(_rendered_sha256s) >= _RENDERED_SHA256S_KEPT:
            _rendered_sha256s.clear()
        _rendered_sha256s[key] = sha256
    return sha256


def consent_render(*, version: ConsentVersion, counselor=None) -> RenderedConsent:
    """Render `version` in its own language, with `counselor`'s disclosure filled in when given.

    Sections come in the fixed element order. Text is normalised (line endings, trailing spaces)
    so that the hash does not depend on how an editor saved it.
    """
    profile = getattr(counselor, "counselor_profile", None) if counselor is not None else None
    with translation.override(version.language):
        credentials = _credentials(counselor) if profile is not None else None
    return _render(version=version, counselor=counselor, profile=profile, credentials=credentials)


def _credentials(counselor) -> tuple[str, ...]:
    """The counselor's credential lines today, in the active language."""
    return tuple(counselor_credentials(counselor=counselor, at=now()))


def _render(*, version: ConsentVersion, counselor, profile, credentials: tuple[str, ...] | None) -> RenderedConsent:
    with translation.override(version.language):
        disclosure = _counselor_disclosure(profile, credentials) if profile is not None else _generic_disclosure()
        heading = _("Consent to online counseling, version %(number)s (%(language)s), in force from %(date)s") % {
            "number": version.number,
            "language": version.language,
            "date": version.effective_at.date().isoformat(),
        }
    sections = []
    for key, title, body in _sections_of(version):
        extra = disclosure.get(key)
        if extra:
            body = f"{body}\n\n{extra}" if body else extra
        sections.append(RenderedSection(key=key, title=title, body=body))
    return RenderedConsent(
        version=version, counselor_id=getattr(counselor, "pk", None), heading=heading, sections=tuple(sections)
    )
