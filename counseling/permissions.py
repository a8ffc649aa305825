"""Who may open which page. One decorator per rule, used by every view."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from counseling.mfa import second_factor_redirect
from counseling.models import Role

STAFF_ROLES = (Role.COUNSELOR, Role.ADMIN)


def role_required(*roles: str):
    """Anonymous users go to login; a signed-in user of another role gets 403, never data.

    Counselors and admins also need a second factor verified in this session (ACA H.3, HIPAA
    164.312(d)): without a device they are sent to set one up, with one to the code step.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.user.role not in roles:
                raise PermissionDenied
            if request.user.role == Role.COUNSELOR and not request.user.email_verified:
                # A counselor applying confirms their address first (issue 20): it is how clients' alerts reach them.
                return redirect("email_verify_pending")
            if request.user.role in STAFF_ROLES and not request.user.is_verified():
                return second_factor_redirect(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


client_required = role_required(Role.CLIENT)
counselor_required = role_required(Role.COUNSELOR)
admin_required = role_required(Role.ADMIN)
staff_required = role_required(Role.COUNSELOR, Role.ADMIN)
# Pages about the signed-in person's own account (the settings page): anyone signed in, staff past the second factor.
signed_in_required = role_required(Role.CLIENT, Role.COUNSELOR, Role.ADMIN)
