"""Reads of the core app: a person's notice list."""

from __future__ import annotations

from django.db.models import QuerySet

from counseling.models import Notice


def notices_of(*, user) -> QuerySet[Notice]:
    """The person's own notices, newest first (only ever their own)."""
    return Notice.objects.filter(user=user).order_by("-created_at", "-pk")


def notices_unread_count(*, user_id: int | None) -> int:
    """How many of the person's notices are unread (the header's count)."""
    if user_id is None:
        return 0
    return Notice.objects.filter(user_id=user_id, read_at__isnull=True).count()
