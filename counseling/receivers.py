"""What the core answers from Django itself: an account that changes under open sockets closes them.

Signing out, deactivation, a new password and a new role end what the person's open sockets may do, but a
socket checked the account only when it opened. Every socket of a person joins one group
(counseling.consumers.user_sockets_group), and these receivers close the group after the change commits.
A queryset .update() sends no signal: whoever deactivates that way calls user_sockets_close_on_commit itself
(records.services.retention_shred_client does)."""

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_init, post_save

from counseling.models import User
from counseling.notifications import user_sockets_close_on_commit

_STATE = "_sockets_state"


def _state(user: User) -> tuple:
    return (user.is_active, user.role, user.password)


def on_user_init(sender, instance: User, **kwargs) -> None:
    # A deferred field would be loaded here, one query per instance: such an instance is not watched (it is
    # saved with update_fields of other columns anyway).
    if not instance.get_deferred_fields() & {"is_active", "role", "password"}:
        setattr(instance, _STATE, _state(instance))


def on_user_saved(sender, instance: User, created: bool, **kwargs) -> None:
    before, after = getattr(instance, _STATE, None), _state(instance)
    setattr(instance, _STATE, after)
    if created or before is None or before == after:
        return
    was_active, role, password = before
    if was_active and not instance.is_active:
        reason = "deactivated"
    elif role != instance.role:
        reason = "role_changed"
    elif password != instance.password:
        reason = "password_changed"
    else:
        return  # reactivated: nothing open to close
    user_sockets_close_on_commit(user_id=instance.pk, reason=reason)


def on_user_logged_out(sender, request, user, **kwargs) -> None:
    if user is None or not getattr(user, "pk", None):
        return
    session = getattr(request, "session", None)
    user_sockets_close_on_commit(
        user_id=user.pk,
        reason=getattr(request, "sign_out_reason", "signed_out"),
        session_key=session.session_key if session is not None else None,
    )


def connect() -> None:
    post_init.connect(on_user_init, sender=User, dispatch_uid="counseling.sockets_state")
    post_save.connect(on_user_saved, sender=User, dispatch_uid="counseling.sockets_close_on_change")
    user_logged_out.connect(on_user_logged_out, dispatch_uid="counseling.sockets_close_on_sign_out")
