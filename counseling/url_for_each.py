"""A URL pattern reversed once for many rows: a page of 50 rows asks `reverse` once, not 50 times."""

from collections.abc import Callable

from django.urls import reverse

_ID = 987654321  # a stand-in id, replaced by each row's


def url_for_each(name: str) -> Callable[[int], str]:
    """pk -> reverse(name, args=[pk]), with the URL reversed once (each time, if the stand-in id does not come
    exactly once in it)."""
    url = reverse(name, args=[_ID])
    head, found, tail = url.partition(str(_ID))
    if not found or str(_ID) in tail:
        return lambda pk: reverse(name, args=[pk])
    return lambda pk: f"{head}{pk}{tail}"
