"""Reads of the core app: a person's notice list."""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.db.models import QuerySet

from counseling.models import Notice


def notices_of(*, user) -> QuerySet[Notice]:
    """The person's own notices, newest first (only ever their own)."""
    return Notice.objects.filter(user=user).order_by("-created_at", "-pk")


@cache
def _unread_count_sql() -> str:
    quote = connection.ops.quote_name
    return (
        f"SELECT COUNT(*) FROM {quote(Notice._meta.db_table)} "  # noqa: S608 (the model's own names, no input)
        f"WHERE {quote(Notice._meta.get_field('user').column)} = %s "
        f"AND {quote(Notice._meta.get_field('read_at').column)} IS NULL"
    )


def notices_unread_count(*, user_id: int | None) -> int:
    """How many of the person's notices are unread (the header's count).

    Every signed-in page asks it. The statement is composed once per process: building
    `Notice.objects.filter(user_id=..., read_at__isnull=True).count()` with the ORM each time cost ~0.2 ms of
    CPU, ten times its execution (index notice_user_unread)."""
    if user_id is None:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_unread_count_sql(), [user_id])
        return cursor.fetchone()[0]
