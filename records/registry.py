"""How each app tells the retention engine about its own records, without records importing it.

records sits below the apps whose data it keeps and destroys. Each app registers one RecordSource at
start-up (its AppConfig.ready):
- last_contact(client_ref): a subquery expression of the latest contact in that app's records, for the
  client row `client_ref` (an OuterRef): retention counts from the last contact;
- places(client_id): every (country, region) the client confirmed: each place's law may apply;
- counselors(client_id): the ids of every counselor the client had a session or a conversation with
  (sessions knows them);
- counselor_places(counselor_ids): every (country, region) where those counselors hold or held a licence
  (licensing knows them): the law of a counselor's place may apply to the records too, as the consent
  and the transparency page promise ("a law of your or your counselor's place");
- birth_date(client): a minor's birth date, when the app knows it (majority + N years may be longer);
- bulk_rows(client_id): the app's large tables of that client, deleted in bounded batches before the
  account itself (whose deletion cascades to the rest). A model that only SET_NULL foreign keys point at
  and nobody listens to (pre/post_delete) is deleted with plain SQL, a batch per statement; any other goes
  through Django's collector (records.services._rows_delete_batch);
- export(client): the app's section of the client's own copy of their data (UU PDP 27/2022 Pasal 7 and
  13; records.services.client_export): a dict of plain JSON values, sealed data opened in memory only.
  The section is filed under the source's `name`; docs/client-export.md describes each one.
Crypto-shredding needs nothing from the apps: every record is sealed under the client's one data key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RecordSource:
    name: str
    last_contact: tuple[Callable, ...] = ()
    places: Callable | None = None
    counselors: Callable | None = None
    counselor_places: Callable | None = None
    birth_date: Callable | None = None
    bulk_rows: Callable | None = None
    export: Callable | None = None


_sources: dict[str, RecordSource] = {}


def record_source_register(source: RecordSource) -> None:
    _sources[source.name] = source


def record_sources() -> tuple[RecordSource, ...]:
    return tuple(_sources.values())


@dataclass(frozen=True)
class SealedField:
    """One field sealed under a person's data key, so a data key rotation can re-seal it (records.services).

    `model`: the model class; `field`: the BinaryField; `owner`: the ORM path to the owner's user id
    ("client_id", "conversation__client_id"); `context`: the row's associated data (a property name)."""

    model: type
    field: str
    owner: str
    context: str


_sealed_fields: dict[str, SealedField] = {}


def sealed_field_register(*fields: SealedField) -> None:
    for sealed in fields:
        _sealed_fields[f"{sealed.model._meta.label}.{sealed.field}"] = sealed


def sealed_fields() -> tuple[SealedField, ...]:
    return tuple(_sealed_fields.values())
