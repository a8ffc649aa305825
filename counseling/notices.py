"""Writes of the notice list (/notices/): every notice a person is sent, kept as it is sent (counseling.notifications
calls notice_keep), read and marked read by its owner only. Apart from counseling.services, which sends e-mail and
closes sockets through counseling.notifications: this module is what notifications itself needs."""

from django.db import transaction

from counseling.clock import now
from counseling.models import Notice


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
