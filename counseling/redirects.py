"""The one check of a `next` URL taken from a request."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request, candidate: str | None, fallback: str = "") -> str:
    """`candidate` if it is a path on this site, else `fallback`: never another site, never a scheme."""
    candidate = (candidate or "").strip()
    if (
        candidate.startswith("/")
        and not candidate.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return fallback
