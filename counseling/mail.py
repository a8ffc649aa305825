"""E-mail: the one way the platform writes to a person.

- In the recipient's language (language_of): the subject and body are built inside it (the language a staff
  member chose, a client's preferred language, a counselor's first language), so pass them as functions,
  not finished strings.
- With absolute links: an e-mail has no request to build one from; the body gets SITE_URL + path.
- Never with client content: an e-mail says that something happened and links to the page, where the
  person signs in to read it (a mailbox is not ours to protect). The body is built from our own texts;
  a pseudonym is the most a counselor's e-mail names.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation

from counseling.notifications import site_link


def language_of(user) -> str:
    """The language to write to this person in: the one they chose on their account (staff,
    counseling.services.account_language_set), else a client's preferred language, else a counselor's
    first language, else the site's."""
    if getattr(user, "language", "") in dict(settings.LANGUAGES):
        return user.language
    profile = getattr(user, "client_profile", None)
    if profile is not None and profile.preferred_language:
        return profile.preferred_language
    profile = getattr(user, "counselor_profile", None)
    codes = profile.language_codes if profile is not None else []
    return codes[0] if codes and codes[0] in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def email_person(
    *,
    recipient,
    subject: Callable[[], str],
    body: Callable[[str], str],
    link_path: str = "",
    on_commit: bool = True,
    fail_silently: bool = True,
    address: str = "",
) -> int:
    """Write to `recipient` (a user). `body` gets the absolute link of `link_path` ("" without one).

    address: another address of the same person instead of their account's (the new address of an e-mail
    change, which is not theirs until they follow the link sent there); written to in their language.

    on_commit: sent after the current transaction commits (nothing is sent for a write that rolled back);
    returns 0 then. Otherwise sent now, and returns how many messages went (fail_silently=False raises,
    so a caller that marks an outbox row sent marks it only after the send).
    """
    with translation.override(language_of(recipient)):
        text_subject = f"[{settings.SITE_NAME}] {subject()}"
        text_body = body(site_link(link_path) if link_path else "")
    address = address or recipient.email

    def send() -> int:
        return send_mail(text_subject, text_body, None, [address], fail_silently=fail_silently)

    if on_commit:
        transaction.on_commit(send)
        return 0
    return send()
