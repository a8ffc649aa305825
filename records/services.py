"""Retention: keep clinical records as long as the law requires, then destroy them for good.

The rules (MISSION.md, Records and retention; APA record-keeping guideline 7; UU PDP 27/2022):
- records are kept per jurisdiction, by default 7 years after the last contact; for a minor, until
  the age of majority plus 3 years if that is later; of all rules that apply, the longest wins. A rule
  applies through the client's places (where they confirmed they were) and through the places of the
  licences of every counselor who counseled them, as the consent promises ("a law of your or your
  counselor's place"); the seeded rules and their sources: records/migrations/0003_seed_retention_rules.py;
- a legal hold stops every destruction;
- destruction is crypto-shredding first (the client's data key is destroyed: unreadable in the live
  database at once, in every backup within crypto.backup_shred_days(), counseling.kek_epochs) and
  then the rows are deleted in bounded batches that re-queue themselves; what remains is a
  tombstone (who, when, under which rule; no content) and
  the audit log, which is append-only and holds no content;
- an erasure request is weighed against the same duties and answered with the reason.

Cost: finding due clients and shredding are O(clients); deleting rows is O(messages) and runs in
batches off the request path (README, "Retention").
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connections, transaction
from django.db.models import DO_NOTHING, PROTECT, SET_NULL, Exists, OuterRef, ProtectedError, signals
from django.db.models.deletion import get_candidate_relations_to_delete
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from counseling import clock
from counseling.audit import audit_record
from counseling.crypto import (
    DecryptionError,
    backup_shred_days,
    data_key_destroy,
    data_key_for,
    data_key_previous,
    data_key_previous_forget,
    data_key_replace,
    open_sealed,
    rotation_settled_before,
    seal_with,
)
from counseling.mail import email_person, language_of
from counseling.models import AuditEntry, DataKey, Role, User
from counseling.notifications import notify_user_on_commit, user_sockets_close_on_commit
from records import tasks
from records.models import ErasureRequest, LegalHold, RetentionRule, RetentionTombstone
from records.registry import record_sources, sealed_fields

log = logging.getLogger(__name__)

# The seeded rule's name (migration 0003), marked so the answer to an erasure request can name it in
# the client's language. It is a professional guideline (APA), not a law, and the answer says so.
DEFAULT_RULE_NAME = gettext_noop("APA default: 7 years after last contact")
# The seeded Indonesian rule's name (records 0003), marked for the same reason: an Indonesian client is told
# it in their language. The US states' rule names are data, shown as written.
INDONESIA_RULE_NAME = gettext_noop("Indonesia: Permenkes 24/2022, 25 years after the last visit")

# Rows deleted per purge batch, each batch its own transaction (about a tenth of a second for chat messages on
# the 2-core development machine): large enough that a batch's fixed costs (its commit, its checks) are a few
# percent of its deletes, small enough that no transaction holds much (docs/performance.md, "Retention").
PURGE_BATCH_SIZE = 10000


@dataclass(frozen=True)
class Duty:
    """One retention duty on one client: keep until `until` because of `rule`."""

    rule: str
    until: date


@dataclass(frozen=True)
class DuePlan:
    client_id: int
    rule: str
    retention_ended_on: date | None
    last_contact_at: datetime | None
    messages: int


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def birth_date_of(client) -> date | None:
    """A minor's birth date, from the app that knows it (identity: the sealed intake of a minor)."""
    for source in record_sources():
        if source.birth_date is not None and (born := source.birth_date(client)) is not None:
            return born
    return None


def client_places(client_id: int) -> set[tuple[str, str]]:
    """Every (country, region) the client confirmed for a session: each one's law may apply."""
    places: set[tuple[str, str]] = set()
    for source in record_sources():
        if source.places is not None:
            places |= set(source.places(client_id))
    return places


def counselor_places(client_id: int) -> set[tuple[str, str]]:
    """Every (country, region) where a counselor of this client holds or held a licence (or a compact
    privilege): the law of the counselor's place may keep the records too (consent, "Retention")."""
    counselor_ids: set[int] = set()
    for source in record_sources():
        if source.counselors is not None:
            counselor_ids |= set(source.counselors(client_id))
    places: set[tuple[str, str]] = set()
    if not counselor_ids:
        return places
    for source in record_sources():
        if source.counselor_places is not None:
            places |= set(source.counselor_places(counselor_ids))
    return places


def retention_places(client_id: int) -> set[tuple[str, str]]:
    """The places whose law may keep this client's records: theirs and their counselors' (the longest wins)."""
    return client_places(client_id) | counselor_places(client_id)


def applicable_rules(places: set[tuple[str, str]]) -> list[RetentionRule]:
    rules = [
        rule
        for rule in RetentionRule.objects.filter(is_active=True)
        if not rule.country
        or any(rule.country == country and rule.region in ("", region) for country, region in places)
    ]
    if not rules:
        rules = [
            RetentionRule(
                name=DEFAULT_RULE_NAME, years_after_last_contact=7, age_of_majority=18, years_after_majority=3
            )
        ]
    return rules


def duties_for(*, last_contact: datetime | None, birth_date: date | None, rules: list[RetentionRule]) -> list[Duty]:
    """Each rule's keep-until date: years after last contact, or majority plus N years if later.

    Longest first; of equal dates, the most specific rule (a region's, then a country's, then the default)
    comes first, so that the reason given is the law of the place rather than the general guideline.
    """
    duties = []
    for rule in rules:
        until = _add_years(last_contact.date(), rule.years_after_last_contact) if last_contact else date.min
        label = rule.name
        if birth_date is not None:
            minor_until = _add_years(_add_years(birth_date, rule.age_of_majority), rule.years_after_majority)
            if minor_until > until:
                until, label = minor_until, f"{rule.name} (minor: majority + {rule.years_after_majority} years)"
        duties.append((until, bool(rule.country) + bool(rule.region), Duty(rule=label, until=until)))
    return [duty for _until, _specific, duty in sorted(duties, key=lambda item: item[:2], reverse=True)]


def last_contact_of(client_id: int) -> datetime | None:
    return _clients_with_last_contact().filter(pk=client_id).values_list("last_contact", flat=True).first()


def _clients_with_last_contact():
    """Clients annotated with their last contact: the latest of what each app registered (the last message,
    the end of the last session), the last login and the sign-up."""
    joined = "date_joined"
    contacts = [
        Coalesce(expression(OuterRef("pk")), joined)
        for source in record_sources()
        for expression in source.last_contact
    ]
    return User.objects.filter(role=Role.CLIENT).annotate(
        last_contact=Greatest(*contacts, Coalesce("last_login", joined), joined)
    )


def _bulk_row_count(client_id: int) -> int:
    return sum(source.bulk_rows(client_id).count() for source in record_sources() if source.bulk_rows)


def retention_duties(*, client, at: datetime | None = None) -> tuple[list[Duty], list[LegalHold]]:
    """What keeps this client's data: every applicable rule's date (longest first) and active holds."""
    rules = applicable_rules(retention_places(client.pk))
    duties = duties_for(last_contact=last_contact_of(client.pk), birth_date=birth_date_of(client), rules=rules)
    holds = list(LegalHold.objects.filter(client=client, released_at__isnull=True))
    return duties, holds


def retention_due(*, at: datetime | None = None, limit: int = 1000) -> list[DuePlan]:
    """Clients whose longest retention duty has ended (or whose erasure was granted), with no legal hold."""
    at = at or clock.now()
    today = at.date()
    held = LegalHold.objects.filter(client=OuterRef("pk"), released_at__isnull=True)
    gone = RetentionTombstone.objects.filter(subject_id=OuterRef("pk"))
    granted = ErasureRequest.objects.filter(client=OuterRef("pk"), decision=ErasureRequest.Decision.ERASE_NOW)
    candidates = (
        _clients_with_last_contact()
        .exclude(Exists(held))
        .exclude(Exists(gone))
        .annotate(granted=Exists(granted))
        .order_by("pk")
    )
    plans = []
    for client in candidates.iterator(chunk_size=500):
        if client.granted:
            request = ErasureRequest.objects.filter(client=client, decision=ErasureRequest.Decision.ERASE_NOW).first()
            rule, ended = f"erasure request #{request.pk}", today
        else:
            duties = duties_for(
                last_contact=client.last_contact,
                birth_date=birth_date_of(client),
                rules=applicable_rules(retention_places(client.pk)),
            )
            if duties[0].until > today:
                continue
            rule, ended = duties[0].rule, duties[0].until
        plans.append(
            DuePlan(
                client_id=client.pk,
                rule=rule,
                retention_ended_on=ended,
                last_contact_at=client.last_contact,
                messages=_bulk_row_count(client.pk),
            )
        )
        if len(plans) >= limit:
            break
    return plans


def client_shred(
    *,
    client_id: int,
    rule: str,
    retention_ended_on: date | None = None,
    last_contact_at: datetime | None = None,
    actor=None,
    at: datetime | None = None,
) -> bool:
    """Crypto-shred one client and leave the tombstone. False if held or already done. Safe to run twice.

    The tombstone's unique subject is the claim: of two runs, only one shreds and audits.
    Row deletion follows on commit in batches (client_purge_batch).
    """
    at = at or clock.now()
    try:
        with transaction.atomic():
            if LegalHold.objects.filter(client_id=client_id, released_at__isnull=True).exists():
                return False
            if not User.objects.filter(pk=client_id, role=Role.CLIENT).exists():
                return False
            _tomb, created = RetentionTombstone.objects.get_or_create(
                subject_id=client_id,
                defaults={
                    "destroyed_at": at,
                    "destroyed_by": getattr(actor, "email", "") or "retention job",
                    "rule": rule,
                    "retention_ended_on": retention_ended_on,
                    "last_contact_at": last_contact_at,
                },
            )
            if not created:
                return False
            data_key_destroy(owner_id=client_id)
            # The account can no longer sign in; its rows go in the purge that follows.
            User.objects.filter(pk=client_id).update(is_active=False)
            # An update sends no signal (counseling.receivers): close the client's open sockets here.
            user_sockets_close_on_commit(user_id=client_id, reason="deactivated")
            audit_record(
                actor=actor,
                action="retention.client_shredded",
                target_type="counseling.user",
                target_id=client_id,
                subject=client_id,
                detail={"rule": rule, "retention_ended_on": str(retention_ended_on or "")},
            )
            transaction.on_commit(lambda: tasks.retention_purge_client.delay(client_id))
    except IntegrityError:
        return False
    return True


def _delete_with_dependents(queryset, depth: int = 0) -> int:
    """Delete rows, first deleting the rows of this client that PROTECT them (sessions, referrals, ...).

    No savepoint per attempt: Django's collector raises ProtectedError while it collects, before it writes
    anything, and its delete is atomic itself."""
    for _attempt in range(20):
        try:
            return queryset.delete()[0]
        except ProtectedError as exc:
            if depth > 6:
                raise
            by_model = defaultdict(set)
            for obj in exc.protected_objects:
                by_model[type(obj)].add(obj.pk)
            for model, pks in by_model.items():
                _delete_with_dependents(model._base_manager.filter(pk__in=pks), depth + 1)
    raise RuntimeError("rows still protected after 20 rounds")


@functools.cache
def _account_protectors_query(using: str) -> tuple[tuple, str, tuple]:
    """The foreign keys that PROTECT an account, and one query telling which of them hold rows of one
    account: compiled once per process (26 EXISTS took 18 ms to compile, as long as running them)."""
    protecting = tuple(
        relation
        for relation in get_candidate_relations_to_delete(User._meta)
        if relation.field.remote_field.on_delete is PROTECT
    )
    checks = {
        f"protected_{index}": Exists(
            relation.related_model._base_manager.filter(**{relation.field.name: OuterRef("pk")})
        )
        for index, relation in enumerate(protecting)
    }
    query = User._base_manager.using(using).filter(pk=_ANY_ACCOUNT).annotate(**checks).values_list(*checks)
    sql, params = query.query.sql_with_params()
    return protecting, sql, params


_ANY_ACCOUNT = -1  # the account id in the compiled query, replaced by the real one when it runs


def _account_delete(client_id: int) -> None:
    """Delete the account and what hangs on it. What PROTECTs the account (conversations, sessions, consent
    acceptances, the destroyed data key, released holds ...) is found with one query and deleted first, so that
    Django collects the account's cascade once rather than once to learn what protects it and once again."""
    account = User.objects.filter(pk=client_id)
    protecting, sql, params = _account_protectors_query(account.db)
    with connections[account.db].cursor() as cursor:
        cursor.execute(sql, [client_id if param == _ANY_ACCOUNT else param for param in params])
        found = cursor.fetchone() or ()
    for relation, protected in zip(protecting, found, strict=False):
        if protected:
            _delete_with_dependents(relation.related_model._base_manager.filter(**{relation.field.name: client_id}))
    _delete_with_dependents(account)


def _set_null_references(model) -> list | None:
    """The foreign keys to `model` that a delete must set to NULL, when that is all it must do; else None.

    None when Django's collector is needed: a foreign key that CASCADEs, PROTECTs or sets another value (or
    points at another column than the primary key), a listener to the model's delete signals, a parent model,
    a generic relation."""
    opts = model._meta
    if signals.pre_delete.has_listeners(model) or signals.post_delete.has_listeners(model):
        return None
    if opts.parents or any(hasattr(field, "bulk_related_objects") for field in opts.private_fields):
        return None
    references = []
    for relation in get_candidate_relations_to_delete(opts):
        on_delete = relation.field.remote_field.on_delete
        if on_delete is SET_NULL and relation.field.target_field == opts.pk:
            references.append(relation.field)
        elif on_delete is not DO_NOTHING:
            return None
    return references


def _rows_delete_batch(rows, *, batch_size: int) -> int:
    """Delete at most `batch_size` of `rows`; returns how many were deleted. Call it inside a transaction.

    Rows that only SET_NULL foreign keys point at (a chat message: an escalation may name it) are deleted
    without Django loading each one (its sealed body) and deleting it a hundred ids at a time: on PostgreSQL
    one statement picks the batch (the rows' own query, LIMIT n), releases the foreign keys that point at
    it and deletes it by physical row address (ctid, stable within the statement); elsewhere the ids are read
    once, then one UPDATE per such key and one DELETE. Anything else goes through Django's collector, which
    follows every cascade."""
    model = rows.model
    manager = model._base_manager.using(rows.db)
    references = _set_null_references(model)
    if references is not None and connections[rows.db].vendor == "postgresql":
        return _rows_delete_batch_postgresql(rows, references=references, batch_size=batch_size)
    ids = list(rows.order_by().values_list("pk", flat=True)[:batch_size])
    if not ids:
        return 0
    if references is None:
        _delete_with_dependents(manager.filter(pk__in=ids))
        return len(ids)
    for field in references:
        field.model._base_manager.using(rows.db).filter(**{f"{field.name}__in": ids}).update(**{field.name: None})
    return manager.filter(pk__in=ids)._raw_delete(rows.db)


def _rows_delete_batch_postgresql(rows, *, references: list, batch_size: int) -> int:
    connection = connections[rows.db]
    quote = connection.ops.quote_name
    table = quote(rows.model._meta.db_table)
    # The batch: the rows' own query (the app's filter, its indexes), each row's address and id, LIMIT n.
    address = RawSQL(f"{table}.ctid", ())  # noqa: S611
    picked = rows.order_by().annotate(purge_row=address).values_list("purge_row", "pk")
    pick_sql, params = picked[:batch_size].query.sql_with_params()
    # Table and column names come from the models, quoted; values are parameters.
    released = [
        f"released_{index} AS (UPDATE {quote(field.model._meta.db_table)} SET {quote(field.column)} = NULL "  # noqa: S608
        f"WHERE {quote(field.column)} IN (SELECT id FROM batch))"
        for index, field in enumerate(references)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH batch (address, id) AS MATERIALIZED ({pick_sql}){''.join(', ' + cte for cte in released)} "  # noqa: S608
            f"DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT address FROM batch))",
            params,
        )
        return cursor.rowcount


def client_purge_batch(*, client_id: int, batch_size: int = PURGE_BATCH_SIZE) -> bool:
    """Delete one batch of a shredded client's rows, in one transaction. Returns True when nothing is left.
    Safe to run twice.

    Precondition: the client has a tombstone (was shredded). Stops if a legal hold appeared since. The bulk
    rows (records.registry) go first, at most `batch_size` of them per call; the call that finds fewer left
    also deletes the account (whose deletion cascades to the rest), closes the tombstone and writes the audit
    entry. Nothing tracks progress but the rows themselves: an interrupted batch leaves nothing half done,
    and the next call resumes with what is left.
    """
    held = LegalHold.objects.filter(client_id=client_id, released_at__isnull=True)
    with transaction.atomic():
        # The tombstone's row lock makes two workers purging one client (a re-driven purge beside the running
        # one) take turns: the second sees what the first left, and the account is purged and audited once.
        tomb = (
            RetentionTombstone.objects.select_for_update()
            .filter(subject_id=client_id)
            .annotate(held=Exists(held))
            .first()
        )
        if tomb is None or tomb.purged_at is not None:
            return True
        if tomb.held:
            log.warning("Client %s came under a legal hold after shredding; rows kept (unreadable)", client_id)
            return True
        budget = batch_size
        for source in record_sources():
            if source.bulk_rows is not None:
                budget -= _rows_delete_batch(source.bulk_rows(client_id), batch_size=budget)
                if budget <= 0:  # a full batch: there may be more
                    return False
        # Released holds go with the account (they PROTECT it); the audit entry names them.
        released_holds = list(LegalHold.objects.filter(client_id=client_id).values_list("pk", flat=True))
        _account_delete(client_id)
        RetentionTombstone.objects.filter(pk=tomb.pk).update(purged_at=clock.now())
        audit_record(
            actor=None,
            action="retention.client_purged",
            target_type="counseling.user",
            target_id=client_id,
            subject=client_id,
            detail={"rule": tomb.rule, "released_legal_holds": released_holds},
        )
    return True


def retention_run(*, at: datetime | None = None, dry_run: bool = False, limit: int = 1000) -> list[DuePlan]:
    """The daily job: shred every client whose retention ended; re-drive unfinished purges.

    Dry run returns the plan and changes nothing. A second run finds nothing to do.
    """
    at = at or clock.now()
    plans = retention_due(at=at, limit=limit)
    if dry_run:
        return plans
    for plan in plans:
        client_shred(
            client_id=plan.client_id,
            rule=plan.rule,
            retention_ended_on=plan.retention_ended_on,
            last_contact_at=plan.last_contact_at,
            at=at,
        )
    unfinished = (
        RetentionTombstone.objects.filter(purged_at__isnull=True)
        .exclude(subject_id__in=[plan.client_id for plan in plans])
        .values_list("subject_id", flat=True)
    )
    for client_id in unfinished:
        transaction.on_commit(lambda client_id=client_id: tasks.retention_purge_client.delay(client_id))
    return plans


# ------------------------------------------------------------------------------------------------
# Legal holds and erasure requests


def legal_hold_place(*, client, reason: str, placed_by, request=None) -> LegalHold:
    with transaction.atomic():
        hold = LegalHold.objects.create(client=client, reason=reason, placed_by=placed_by)
        audit_record(
            actor=placed_by,
            action="retention.hold_placed",
            target=hold,
            subject=client,
            request=request,
            detail={"reason": reason},
        )
    return hold


LEGAL_HOLD_RELEASE_REASON_MIN = 10


class LegalHoldError(ValueError):
    """A release that cannot be done; the message says why, in the user's language."""


def legal_hold_release(*, hold: LegalHold, reason: str, released_by, request=None) -> LegalHold:
    """Release an active hold: retention may destroy the client's data again once no hold is left.

    A hold is never deleted; the release keeps who, when and why, on the hold and in the audit log. Of two
    releases at once, one wins (conditional update); the other is told the hold is already released.
    """
    reason = (reason or "").strip()
    if len(reason) < LEGAL_HOLD_RELEASE_REASON_MIN:
        raise LegalHoldError(
            _("Say why the hold is released, in at least %(count)d characters.")
            % {"count": LEGAL_HOLD_RELEASE_REASON_MIN}
        )
    with transaction.atomic():
        released = LegalHold.objects.filter(pk=hold.pk, released_at__isnull=True).update(
            released_at=clock.now(), released_by=released_by, release_reason=reason[:200]
        )
        if not released:
            raise LegalHoldError(_("This legal hold was already released."))
        hold.refresh_from_db()
        audit_record(
            actor=released_by,
            action="retention.hold_released",
            target=hold,
            subject=hold.client_id,
            request=request,
            detail={"reason": hold.release_reason},
        )
    return hold


def erasure_request_create(*, client, request=None) -> ErasureRequest:
    """A client asks for erasure; one pending request at a time."""
    with transaction.atomic():
        existing = ErasureRequest.objects.filter(client=client, decision=ErasureRequest.Decision.PENDING).first()
        if existing:
            return existing
        erasure = ErasureRequest.objects.create(client=client, subject_id=client.pk)
        audit_record(actor=client, action="erasure.requested", target=erasure, subject=client, request=request)
        for admin in User.objects.filter(role=Role.ADMIN, is_active=True):
            with translation.override(language_of(admin)):
                notice = {
                    "type": "erasure.requested",
                    "id": erasure.pk,
                    "title": _("A client asked for their data to be erased"),
                    "url": reverse("retention:erasure_detail", args=[erasure.pk]),
                    "link": _("Open"),
                }
            notify_user_on_commit(user_id=admin.pk, payload=notice)
    return erasure


def erasure_answer(*, erasure: ErasureRequest, staff, at: datetime | None = None, request=None) -> ErasureRequest:
    """Answer from the duties: erase now if none is left, else keep until the longest duty's date.

    The client is told (page, e-mail, open pages). Erasing now shreds at once; rows follow in batches.
    """
    at = at or clock.now()
    client = erasure.client
    if client is None or erasure.decision != ErasureRequest.Decision.PENDING:
        return erasure
    duties, holds = retention_duties(client=client, at=at)
    with transaction.atomic():
        if holds:
            erasure.decision, erasure.keep_until, erasure.rule = (
                ErasureRequest.Decision.KEEP_UNTIL,
                None,
                "legal hold",
            )
        elif duties and duties[0].until > at.date():
            erasure.decision, erasure.keep_until, erasure.rule = (
                ErasureRequest.Decision.KEEP_UNTIL,
                duties[0].until,
                duties[0].rule,
            )
        else:
            erasure.decision, erasure.keep_until, erasure.rule = ErasureRequest.Decision.ERASE_NOW, None, ""
        erasure.answered_by, erasure.answered_at = staff, at
        erasure.save(update_fields=["decision", "keep_until", "rule", "answered_by", "answered_at"])
        audit_record(
            actor=staff,
            action="erasure.answered",
            target=erasure,
            subject=client,
            request=request,
            detail={"decision": erasure.decision, "keep_until": str(erasure.keep_until or ""), "rule": erasure.rule},
        )
        email_person(
            recipient=client,
            subject=lambda: _("Your erasure request was answered"),
            body=lambda _link: erasure_answer_text(erasure),
        )
        with translation.override(language_of(client)):
            notice = {
                "type": "erasure.answered",
                "id": erasure.pk,
                "title": _("Your erasure request was answered"),
                "url": reverse("retention:erasure_request"),
                "link": _("Open"),
            }
        notify_user_on_commit(user_id=client.pk, payload=notice)
        if erasure.decision == ErasureRequest.Decision.ERASE_NOW:
            client_shred(
                client_id=client.pk,
                rule=f"erasure request #{erasure.pk}",
                retention_ended_on=at.date(),
                last_contact_at=last_contact_of(client.pk),
                actor=staff,
                at=at,
            )
    return erasure


def erasure_answer_text(erasure: ErasureRequest) -> str:
    """The answer in words, in the active language."""
    if erasure.decision == ErasureRequest.Decision.ERASE_NOW:
        days = backup_shred_days()
        return ngettext(
            "Your data is being erased now. Its encryption key has been destroyed, so it can no longer be read "
            "on our systems, and within %(days)d day no copy can be read anywhere, backups included. Your "
            "account is closed.",
            "Your data is being erased now. Its encryption key has been destroyed, so it can no longer be read "
            "on our systems, and within %(days)d days no copy can be read anywhere, backups included. Your "
            "account is closed.",
            days,
        ) % {"days": days}
    if erasure.decision == ErasureRequest.Decision.KEEP_UNTIL and erasure.keep_until:
        return _(
            "We keep your counseling records until %(date)s, under the record-keeping rule we follow: "
            "%(rule)s. They stay encrypted and will be destroyed on that date without you asking "
            "again."
        ) % {"date": date_format(erasure.keep_until, "DATE_FORMAT"), "rule": _(erasure.rule)}
    if erasure.decision == ErasureRequest.Decision.KEEP_UNTIL:
        return _(
            "Your records are under a legal hold and cannot be erased while it lasts. We will destroy "
            "them when the hold ends and no other duty applies."
        )
    return _("Your request was received. Staff will answer it with the reason.")


# ------------------------------------------------------------------------------------------------
# The client's own copy of their data (UU PDP 27/2022 Pasal 7: access and a copy; Pasal 13: in a
# machine-readable form; Pasal 32: with the record of its processing). The schema: docs/client-export.md.

CLIENT_EXPORT_SCHEMA = "konseling-etis/client-export"
CLIENT_EXPORT_VERSION = 1

# What the file leaves out on purpose, the same words for every client (a per-client list would itself
# tell something). The reasons are in docs/client-export.md.
CLIENT_EXPORT_NOT_INCLUDED = (
    {
        "what": "code_word",
        "why": gettext_noop(
            "Your code word is stored only as a one-way hash; neither the word nor the hash is given out."
        ),
    },
    {
        "what": "identity_document_files",
        "why": gettext_noop(
            "The ID document file is the copy you gave us. It is destroyed a set number of days after review "
            "(identity_document_files_kept_days_after_review); what it was and how it was reviewed are in "
            "identity.identity_documents."
        ),
    },
    {
        "what": "notes_written_by_staff",
        "why": gettext_noop(
            "Notes staff wrote about an escalation or a dropped connection may hold other people's data or "
            "need a counselor's judgement before they are released (UU PDP 27/2022 Pasal 33). Each one is "
            "listed with its time and author (note_written), without its text."
        ),
    },
    {
        "what": "clinical_record_not_released",
        "why": gettext_noop(
            "Your counselor's progress notes are in the file once your counselor has released them to you (ask at "
            "/clinical/record/); a part withheld is listed without its text, and the counselor's written reason "
            "is kept in your file. Goals of a treatment plan your counselor has not shared with you, and a "
            "counselor's written reason for accepting you despite the screen, are listed without their words."
        ),
    },
    {
        "what": "access_log_details",
        "why": gettext_noop(
            "The access log gives who, what and when. Staff members' e-mail and network addresses are "
            "their own personal data and are left out."
        ),
    },
)


class ClientExportUnavailable(Exception):
    """The client's data can no longer be read (crypto-shredded); the message says so in their language."""


def _client_export_refusal(client) -> str:
    if RetentionTombstone.objects.filter(subject_id=client.pk).exists() or (
        DataKey.objects.filter(owner_id=client.pk, destroyed_at__isnull=False).exists()
    ):
        return _(
            "Your data was erased: its encryption key has been destroyed, so it can no longer be read by "
            "anyone, us included. There is nothing left to download."
        )
    return ""


def _access_log_of(client) -> list[dict]:
    """Who read or changed the client's data: the audit entries whose subject is the client. Staff are
    named as others see them (display name and role), never by e-mail or network address."""
    entries = list(AuditEntry.objects.filter(subject_id=client.pk).order_by("sequence"))
    actors = {
        user.pk: user
        for user in User.objects.filter(pk__in={entry.actor_id for entry in entries if entry.actor_id}).select_related(
            "client_profile", "counselor_profile"
        )
    }
    rows = []
    for entry in entries:
        actor = actors.get(entry.actor_id)
        if entry.actor_id == client.pk:
            who = {"kind": "you"}
        elif entry.actor_id is None:
            who = {"kind": "system"}
        elif actor is None:
            who = {"kind": "former_account"}
        elif actor.role == Role.CLIENT:
            # Never another client's name: an entry about this client made by someone else who is a client.
            who = {"kind": "another_client"}
        else:
            who = {"kind": "staff", "name": actor.display_name, "role": actor.role}
        rows.append(
            {
                "at": entry.at.isoformat(),
                "action": entry.action,
                "by": who,
                "record_type": entry.target_type,
                "record_id": entry.target_id,
                "ip_address": entry.ip_address if entry.actor_id == client.pk else None,
            }
        )
    return rows


def _erasure_requests_of(client) -> list[dict]:
    return [
        {
            "requested_at": item.requested_at.isoformat(),
            "decision": item.decision,
            "keep_until": item.keep_until.isoformat() if item.keep_until else None,
            "rule": item.rule,
            "answered_at": item.answered_at.isoformat() if item.answered_at else None,
        }
        for item in ErasureRequest.objects.filter(client=client).order_by("requested_at", "pk")
    ]


def client_export(*, client, request=None, at: datetime | None = None) -> dict:
    """The client's own copy of all their data, as one JSON-ready dict; audit-logged (`records.client_export`).

    The core and records write the account, profile, erasure requests and access log; every app that
    registered an `export` (records.registry) writes its own section, under its name. Sealed data is opened
    in memory only. Raises PermissionDenied for anyone but a client asking for themselves (callers pass
    request.user), ClientExportUnavailable (with the reason) once the client was crypto-shredded.
    """
    if not getattr(client, "is_client", False):
        raise PermissionDenied
    refusal = _client_export_refusal(client)
    if refusal:
        raise ClientExportUnavailable(refusal)
    at = at or clock.now()
    profile = getattr(client, "client_profile", None)
    sources = [source for source in record_sources() if source.export is not None]
    with transaction.atomic():
        # Written first, so the file's own access log shows this download.
        audit_record(
            actor=client,
            action="records.client_export",
            target=client,
            subject=client,
            request=request,
            detail={"schema_version": CLIENT_EXPORT_VERSION, "sections": sorted(source.name for source in sources)},
        )
        document = {
            "schema": CLIENT_EXPORT_SCHEMA,
            "schema_version": CLIENT_EXPORT_VERSION,
            "exported_at": at.isoformat(),
            "account": {
                "email": client.email,
                "role": client.role,
                "joined_at": client.date_joined.isoformat(),
                "last_login_at": client.last_login.isoformat() if client.last_login else None,
                "active": client.is_active,
            },
            "profile": {
                "display_name": profile.display_name,
                "preferred_language": profile.preferred_language,
                "time_zone": profile.time_zone,
            }
            if profile
            else None,
            "records": {"erasure_requests": _erasure_requests_of(client)},
        }
        for source in sources:
            document[source.name] = source.export(client)
        document["access_log"] = _access_log_of(client)
        with translation.override(language_of(client)):
            document["language"] = translation.get_language()
            document["not_included"] = [
                {"what": item["what"], "why": _(item["why"])} for item in CLIENT_EXPORT_NOT_INCLUDED
            ]
    return document


# Data key rotation: new data keys, every sealed field re-sealed (manage.py data_keys_rotate). KEK epochs
# (counseling.kek_epochs) already make shredding reach backups; this is for a data key that may have leaked,
# or a policy that wants keys renewed. Every sealed field is found through records.registry.sealed_fields.


def _sealed_rows(*, owner_id: int):
    for sealed in sealed_fields():
        rows = sealed.model._default_manager.filter(**{sealed.owner: owner_id}).exclude(
            **{f"{sealed.field}__isnull": True}
        )
        for row in rows.iterator(chunk_size=500):
            value = getattr(row, sealed.field)
            if value:
                yield sealed, row, bytes(value), getattr(row, sealed.context)


def _store(sealed, row, value: bytes) -> None:
    # A queryset update: no save() hooks, no other column touched.
    sealed.model._default_manager.filter(pk=row.pk).update(**{sealed.field: value})


def data_key_rotate_one(*, owner_id: int) -> int:
    """Give one person a new data key and re-seal each of their sealed fields under it, in one transaction.
    Returns how many values were re-sealed; a value that does not open under the old key is left as it is
    (it could not be read before either) and counted in the audit entry."""
    counts = {"resealed": 0, "unreadable": 0}

    def reseal(old: bytes, new: bytes) -> None:
        for sealed, row, value, context in _sealed_rows(owner_id=owner_id):
            try:
                plain = open_sealed(owner_id=owner_id, sealed=value, context=context, data_key=old)
            except DecryptionError:
                counts["unreadable"] += 1
                continue
            _store(sealed, row, seal_with(data_key=new, plaintext=plain, context=context))
            counts["resealed"] += 1

    with transaction.atomic():
        if data_key_replace(owner_id=owner_id, reseal=reseal):
            audit_record(
                actor=None, action="crypto.data_key_rotated", target_type="user", target_id=owner_id, detail=counts
            )
    return counts["resealed"]


def data_key_rotation_settle(*, owner_id: int) -> int:
    """Second pass, once no process can hold the old key (rotation_settled_before): re-seal under the new key
    what a process still sealed under the old one after the rotation, then forget the old key for good."""
    old = data_key_previous(owner_id=owner_id)
    moved = 0
    with transaction.atomic():
        if old is not None:
            for sealed, row, value, context in _sealed_rows(owner_id=owner_id):
                try:
                    open_sealed(owner_id=owner_id, sealed=value, context=context)
                    continue
                except DecryptionError:
                    pass
                try:
                    plain = open_sealed(owner_id=owner_id, sealed=value, context=context, data_key=old)
                except DecryptionError:
                    continue
                _store(
                    sealed,
                    row,
                    seal_with(data_key=data_key_for(owner_id=owner_id, create=False), plaintext=plain, context=context),
                )
                moved += 1
        data_key_previous_forget(owner_id=owner_id)
    return moved


def data_keys_rotate(*, batch_size: int = 50, older_than_days: int = 1, at: datetime | None = None) -> dict[str, int]:
    """Rotate, one batch, the live data keys not rotated within `older_than_days`, and settle the rotations
    old enough. Resumable: each owner is its own transaction, and a key rotated in this run is not due again.
    Returns {"rotated": owners, "resealed": values, "settled": owners, "left": owners still due}."""
    at = at or clock.now()
    due = DataKey.objects.filter(destroyed_at__isnull=True).exclude(
        rotated_at__gte=at - timedelta(days=older_than_days)
    )
    owners = list(due.order_by("id").values_list("owner_id", flat=True)[:batch_size])
    resealed = sum(data_key_rotate_one(owner_id=owner_id) for owner_id in owners)
    settling = list(
        DataKey.objects.filter(previous_wrapped_key__isnull=False, rotated_at__lt=rotation_settled_before())
        .order_by("id")
        .values_list("owner_id", flat=True)[:batch_size]
    )
    for owner_id in settling:
        data_key_rotation_settle(owner_id=owner_id)
    return {"rotated": len(owners), "resealed": resealed, "settled": len(settling), "left": due.count()}
