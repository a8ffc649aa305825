"""Who may open which page. One decorator per rule, used by every view."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from counseling.models import Role


def role_required(*roles: str):
    """Anonymous users go to login; a signed-in user of another role gets 403, never data."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.user.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


client_required = role_required(Role.CLIENT)
counselor_required = role_required(Role.COUNSELOR)
admin_required = role_required(Role.ADMIN)
staff_required = role_required(Role.COUNSELOR, Role.ADMIN)
