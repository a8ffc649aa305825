from django.conf import settings
from django.db import models
from django.db.models import ExpressionWrapper, Q
from django.utils.translation import gettext_lazy as _

from counseling.clock import now


class SessionState(models.TextChoices):
    # A new client's first booking with a counselor, waiting for the counselor to accept it. It holds the slot
    # (it is not cancelled, so the unique and exclusion constraints count it) until accepted, declined or expired.
    REQUESTED = "requested", _("Requested")
    SCHEDULED = "scheduled", _("Scheduled")
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


class SessionMedium(models.TextChoices):
    """How a session is held: the chat always exists beside it, as the fallback when a call fails."""

    VIDEO = "video", _("Video")
    VOICE = "voice", _("Voice")
    CHAT = "chat", _("Chat")


class CounselingSession(models.Model):
    """One booked appointment between a client and a counselor; its chat belongs to it.

    State moves are made by sessions.services alone. The client's location is confirmed before
    the session starts and decides jurisdiction and the emergency numbers shown (ACA H.1.b).
    """

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_sessions")
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="counselor_sessions")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=SessionState.choices, default=SessionState.SCHEDULED)
    location_country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    location_region = models.CharField(max_length=6, blank=True, help_text="ISO 3166-2 subdivision, e.g. ID-JK")
    location_confirmed_at = models.DateTimeField(null=True, blank=True)
    # Optional: where exactly the client is ("Jl. Malioboro 12, near the mosque"), given with the location so
    # that help can be sent. Sealed under the client's data key (landmark_aad); staff see it only on the emergency card.
    location_landmark_sealed = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    # Booking. Both time zones are kept as booked: the difference is part of informed consent.
    client_time_zone = models.CharField(max_length=64, blank=True)
    counselor_time_zone = models.CharField(max_length=64, blank=True)
    # The counselor's promised reply time between sessions, as stated when this session was booked.
    response_promise_hours = models.PositiveIntegerField(null=True, blank=True)
    rescheduled_from = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="rescheduled_to"
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(max_length=32, blank=True, help_text="A reason code, never free text")
    cancelled_late = models.BooleanField(default=False, help_text="Cancelled inside the notice window")
    # Only a client's own late cancellation may ever count against them (a fee, a missed session); a
    # counselor's cancellation, late or not, never does (sessions.services._cancel_locked decides).
    late_charged_to_client = models.BooleanField(
        default=False, help_text="A late cancellation by the client; never set when the counselor cancelled"
    )
    # Why the person who moved this session (the new one of a reschedule) did: a reason code, never free text.
    reschedule_reason = models.CharField(max_length=32, blank=True)
    series = models.ForeignKey(
        "SessionSeries", on_delete=models.PROTECT, null=True, blank=True, related_name="sessions"
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # Chosen at booking; either participant may change it until the start (sessions.services.session_medium_change).
    medium = models.CharField(max_length=8, choices=SessionMedium.choices, default=SessionMedium.CHAT)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["counselor", "starts_at"]), models.Index(fields=["client", "starts_at"])]
        # No double booking, enforced by the database even under concurrent requests: one live
        # (not cancelled) session per counselor and per client at one start time. Sessions start
        # only on the slot grid (sessions.selectors.open_slots), and bookings of one counselor are
        # serialised by a row lock in sessions.services, which also refuses overlapping times.
        constraints = [
            models.UniqueConstraint(
                fields=["counselor", "starts_at"],
                condition=~models.Q(state="cancelled"),
                name="session_counselor_slot_unique",
            ),
            models.UniqueConstraint(
                fields=["client", "starts_at"],
                condition=~models.Q(state="cancelled"),
                name="session_client_slot_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} {self.starts_at:%Y-%m-%d %H:%M} ({self.state})"

    def is_participant(self, user) -> bool:
        return user.pk in (self.client_id, self.counselor_id)

    @property
    def landmark_aad(self) -> str:
        return f"session-landmark:{self.pk}"


class SessionSeries(models.Model):
    """A weekly series booked in one go: each occurrence is its own CounselingSession, which passed the
    booking gates at its own time (sessions.services.session_series_book). Cancelling the series cancels
    the occurrences still to come only; the past ones stay as they were."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_series")
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="counselor_series")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)
    weeks_asked = models.PositiveSmallIntegerField()
    # When a gate refused an occurrence (a licence that expires before it), the series stops there: why.
    stopped_reason = models.CharField(max_length=64, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"series {self.pk}"

    def is_participant(self, user) -> bool:
        return user.pk in (self.client_id, self.counselor_id)


class CalendarFeed(models.Model):
    """A person's private calendar feed (ICS) at a secret address. Only the SHA-256 of the token is kept, so the
    address is shown once, when made; making a new one replaces the hash and the old address stops working."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"calendar feed of {self.user_id}"


class Conversation(models.Model):
    """The one conversation between a client and a counselor: session chat and messages between sessions."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_conversations")
    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="counselor_conversations"
    )
    created_at = models.DateTimeField(default=now)
    last_seq = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "counselor"], name="one_conversation_per_pair")]

    def __str__(self) -> str:
        return f"conversation {self.pk}"

    def is_participant(self, user) -> bool:
        return user.pk in (self.client_id, self.counselor_id)


class CoverReason(models.TextChoices):
    """Why someone other than the client's counselor answers in their conversation (told to the client)."""

    HELP = "help", _("you asked for help")
    RISK = "risk", _("something you wrote made us want to check that you are safe")
    REPLY_OVERDUE = "reply_overdue", _("your message waited longer than your counselor promised")


class CoverRole(models.TextChoices):
    ON_CALL = "on_call", _("the on-call counselor")
    SUPERVISOR = "supervisor", _("the supervisor on duty")
    COUNSELOR = "counselor", _("a counselor of this service")


class ConversationCover(models.Model):
    """An on-call counselor or supervisor picking up a client's conversation for a bounded time.

    Opened by crisis (the person holding an escalation's rung picks it up); the chat only knows that the
    cover may read the conversation from `from_seq` on and reply as themselves until `ends_at`, or until it
    is ended (the escalation resolved). `escalation_ref` names the escalation without a key to it: the
    chat sits below crisis.
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="covers")
    cover = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=16, choices=CoverRole.choices)
    reason = models.CharField(max_length=16, choices=CoverReason.choices)
    escalation_ref = models.PositiveIntegerField()
    card_path = models.CharField(max_length=200)  # where the cover goes back to act (the emergency card)
    from_seq = models.BigIntegerField()  # the first message the cover may read: recent history, not the record
    started_at = models.DateTimeField(default=now)
    ends_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["conversation", "cover", "ends_at"], name="cover_live_lookup")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("started_at")), name="cover_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"cover {self.pk} of conversation {self.conversation_id} by {self.cover_id}"

    def live_at(self, at) -> bool:
        return self.ended_at is None and self.started_at <= at < self.ends_at


class Message(models.Model):
    """One chat message, sealed under the client's data key (counseling.crypto).

    The associated data is "message:<conversation>:<sender>:<seq>", so a body copied to another
    row or conversation fails to open. No plaintext is ever stored.
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT, related_name="messages")
    session = models.ForeignKey(
        CounselingSession, on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    seq = models.BigIntegerField()
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client_msg_id = models.UUIDField()
    body_sealed = models.BinaryField()
    created_at = models.DateTimeField(default=now)
    read_at = models.DateTimeField(null=True, blank=True)
    # When a client's message must be answered by, from the counselor's response-time promise.
    reply_due_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # The counselor hears of a client's message between sessions (sessions.chat.notices): the e-mail that
    # counted it (batched, at most one per MESSAGE_NOTICE_EMAIL_MINUTES) and the reminder before reply_due_at.
    # Each is claimed by a conditional update on its NULL, so it happens once whatever runs the job.
    counselor_emailed_at = models.DateTimeField(null=True, blank=True)
    reply_reminded_at = models.DateTimeField(null=True, blank=True)
    # Computed by the database, never written. It exists for PostgreSQL's planner: asked for
    # "answered_at IS NULL AND reply_due_at IS NOT NULL", it multiplied the two columns' null shares (about
    # half each) and expected a quarter of all messages where a few dozen wait, then scanned the conversation's
    # whole history for each counselor reply. One column has its own statistics, and they are right.
    awaiting_reply = models.GeneratedField(
        expression=ExpressionWrapper(
            Q(answered_at__isnull=True, reply_due_at__isnull=False), output_field=models.BooleanField()
        ),
        output_field=models.BooleanField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(fields=["conversation", "client_msg_id"], name="message_client_id_unique"),
        ]
        # Only client messages still waiting for a reply: a counselor's reply marks them answered, and
        # the minute sweep looks for overdue ones, without either scanning the whole history.
        indexes = [
            models.Index(
                fields=["conversation", "seq"], name="message_awaiting_reply", condition=Q(awaiting_reply=True)
            ),
            models.Index(fields=["reply_due_at"], name="message_reply_due", condition=Q(awaiting_reply=True)),
            # Whom the e-mail job wrote to lately (the batching window), without reading the whole history.
            models.Index(
                fields=["counselor_emailed_at"],
                name="message_counselor_emailed",
                condition=Q(counselor_emailed_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"message {self.conversation_id}#{self.seq}"

    @property
    def aad(self) -> str:
        return Message.aad_for(conversation_id=self.conversation_id, sender_id=self.sender_id, seq=self.seq)

    @staticmethod
    def aad_for(*, conversation_id: int, sender_id: int, seq: int) -> str:
        """The associated data of a message with these, without an instance (the chat's store on the event loop)."""
        return f"message:{conversation_id}:{sender_id}:{seq}"


# --- A client's connection during a session, and when it drops -------------------------------------


class ClientPresence(models.Model):
    """One chat socket of a client in a session: when it joined, when it was last seen alive, when it left.

    In the database, not in a server process's memory, so that every ASGI process and the minute sweep
    (sessions.chat.drops.session_drops_check) agree on whether the client is still there. A socket beats
    (seen_at) while it is open; one whose process died without closing it stops beating and counts as gone.
    """

    session = models.ForeignKey(CounselingSession, on_delete=models.CASCADE, related_name="client_presences")
    channel_name = models.CharField(max_length=200, unique=True)
    connected_at = models.DateTimeField(default=now)
    seen_at = models.DateTimeField(default=now)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["session", "left_at"], name="client_presence_session")]

    def __str__(self) -> str:
        return f"client socket of session {self.session_id}"


class DropAction(models.TextChoices):
    """What the counselor did when the client's connection dropped (the consent's "technical failure" section)."""

    WROTE = "wrote", _("Wrote to the client on this platform")
    PHONED_CLIENT = "phoned_client", _("Phoned the client")
    PHONED_CONTACT = "phoned_contact", _("Phoned the emergency contact")
    EMERGENCY_SERVICES = "emergency_services", _("Called emergency services")
    CLIENT_CAME_BACK = "client_came_back", _("The client came back")


class SessionDrop(models.Model):
    """The client's connection dropped during a session and did not come back within CLIENT_RECONNECT_MINUTES.

    Recorded once per absence (unique on session and away_since) by the minute sweep; the counselor then
    records what they did (actions, and a note sealed under the client's data key, note_aad). Kept as a record.
    """

    session = models.ForeignKey(CounselingSession, on_delete=models.PROTECT, related_name="drops")
    away_since = models.DateTimeField()
    detected_at = models.DateTimeField(default=now)
    client_back_at = models.DateTimeField(null=True, blank=True)
    actions = models.JSONField(default=list, blank=True)  # DropAction values
    note_sealed = models.BinaryField(null=True, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-detected_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["session", "away_since"], name="session_drop_once_per_absence")]

    def __str__(self) -> str:
        return f"drop of session {self.session_id} at {self.away_since:%Y-%m-%d %H:%M}"

    @property
    def note_aad(self) -> str:
        return f"session-drop-note:{self.session_id}:{self.pk}"

    def action_labels(self) -> list[str]:
        return [DropAction(value).label for value in self.actions if value in DropAction.values]


# --- Booking and availability -------------------------------------------------------


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WeeklyAvailability(models.Model):
    """A block of regular working hours, as wall-clock times in the counselor's own time zone.

    Stored as local times (not UTC) on purpose: "Mondays 09:00-12:00 in Chicago" stays 09:00 across
    a daylight-saving change, and the UTC instants move instead (sessions.selectors.open_slots).
    """

    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_availability"
    )
    weekday = models.PositiveSmallIntegerField(_("day of the week"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))

    class Meta:
        ordering = ["counselor", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")), name="weekly_availability_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class AvailabilityException(models.Model):
    """A one-off change to the weekly hours on one local date: time off, or extra hours."""

    class Kind(models.TextChoices):
        OFF = "off", _("Not available")
        EXTRA = "extra", _("Extra hours")

    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.OFF)
    # Both empty with kind "off": the whole day is off.
    start_time = models.TimeField(_("from"), null=True, blank=True)
    end_time = models.TimeField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["counselor", "date", "start_time"]

    def __str__(self) -> str:
        return f"{self.date} {self.kind}"

    @property
    def whole_day(self) -> bool:
        return self.start_time is None or self.end_time is None


class Referral(models.Model):
    """A counselor's referral of a client to in-person care (ACA H.2.a: the face-to-face alternative).

    Reason and destination are clinical data: sealed under the client's data key, never plaintext.
    Kept as a record; there is no delete.
    """

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals")
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_made")
    reason_sealed = models.BinaryField()
    destination_sealed = models.BinaryField()
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"referral {self.pk}"

    @property
    def reason_context(self) -> str:
        return f"referral-reason:{self.client_id}:{self.counselor_id}:{self.created_at.isoformat()}"

    @property
    def destination_context(self) -> str:
        return f"referral-destination:{self.client_id}:{self.counselor_id}:{self.created_at.isoformat()}"


class CallEventKind(models.TextChoices):
    STARTED = "started", _("Call started")
    CONNECTED = "connected", _("Call connected")
    ENDED = "ended", _("Call ended")
    FAILED = "failed", _("Call failed")


class CallEvent(models.Model):
    """One moment of a video or voice call of a session: who, when, and for "ended" how long the two were
    connected. Never any content: audio and video flow between the two browsers and never reach us
    (docs/call-protocol.md). `call_ref` ties together the events of one call (from started to ended)."""

    session = models.ForeignKey(CounselingSession, on_delete=models.CASCADE, related_name="call_events")
    call_ref = models.UUIDField()
    kind = models.CharField(max_length=16, choices=CallEventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=now)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True, help_text="On ended: seconds connected")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["session", "at"], name="call_event_session_at")]

    def __str__(self) -> str:
        return f"call {self.kind} in session {self.session_id}"


class RequestOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn by the client")


class SessionRequest(models.Model):
    """A new client's first booking with a counselor, as a request the counselor accepts or declines.

    Its session is REQUESTED (holding the slot) until the counselor accepts (it becomes SCHEDULED), declines or
    lets it pass `expires_at` (it becomes CANCELLED, reason "request_declined" / "request_expired", and the slot
    is free). `screen_passed`: the client's suitability screen, as it stood when they asked; a counselor accepts a
    request whose screen did not pass only after overriding the screen in writing (identity.SuitabilityOverride).
    Kept as a record of who was accepted, declined or referred, and when.
    """

    session = models.OneToOneField(CounselingSession, on_delete=models.PROTECT, related_name="booking_request")
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    screen_passed = models.BooleanField(default=True)
    outcome = models.CharField(max_length=16, choices=RequestOutcome.choices, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decline_reason = models.CharField(max_length=32, blank=True, help_text="A reason code, never free text")
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        indexes = [
            models.Index(fields=["expires_at"], name="session_request_waiting", condition=models.Q(outcome="")),
        ]

    def __str__(self) -> str:
        return f"request for session {self.session_id} ({self.outcome or 'waiting'})"


class ClientAcceptance(models.Model):
    """The counselor took the client on: from then the client's bookings with them are ordinary bookings.

    Made when the counselor accepts a request (sessions.services.session_request_accept); pairs who had ordinary
    sessions before requests existed count as taken on too (sessions.selectors.client_accepted_by). Kept.
    """

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField(default=now)
    request = models.OneToOneField(SessionRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "counselor"], name="client_accepted_once")]

    def __str__(self) -> str:
        return f"client {self.client_id} taken on by {self.counselor_id}"
