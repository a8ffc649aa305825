from django.conf import settings

from counseling.selectors import notices_unread_count


def site(request):
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "SITE_NAME": settings.SITE_NAME,
        # The header's unread count: a callable, so a page that does not show it costs no query.
        "notices_unread": (lambda: notices_unread_count(user_id=user.pk)) if signed_in else 0,
    }
