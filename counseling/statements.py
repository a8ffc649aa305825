"""A read's statement composed by the ORM once per process, then run with each request's values.

Composing a queryset (resolving its joins, subqueries and lookups into SQL) can cost several times what the
database spends planning and running it. For a read a page makes on every request whose SQL depends only on its
kind (which filters) and not on its values (whose counselor, what time, what search text), `composed_for` asks
the ORM for that SQL once per process and database, and `ComposedStatement.rows` runs it with the request's
values: the rows the queryset's .values() would give, converted by the ORM's own converters; for a queryset of
model instances, `ComposedStatement.instances` builds them as the ORM's iterable builds them (select_related and
deferred fields included).

The SQL depends on the code and the database's vendor only, neither of which changes while the process lives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection
from django.db.models.query import ModelIterable, get_related_populators

# How a request's value goes into a parameter: as it is (adapted as the ORM adapts a value of its type), as the
# LIKE pattern the ORM made of it (e.g. "%%%s%%" for icontains), its wildcards escaped as the ORM escapes them, or
# one item of a list (an __in lookup's: its length is part of the SQL, so of the kind of read).
VALUE, LIKE, ITEM, CONSTANT = "value", "like", "item", "constant"


@dataclass(frozen=True)
class ComposedStatement:
    """`sql` with one slot per parameter: (CONSTANT, the value the ORM put there), (VALUE, name), (LIKE, name,
    the ORM's pattern around the value) or (ITEM, name, the item's index, the list's length)."""

    sql: str
    slots: tuple
    names: tuple  # the .values() names of the columns
    converters: tuple  # ((column index, the ORM's converters of that column, its expression), ...)
    # For a queryset of model instances: (the compiler, the model, the attnames of its columns, the populators of
    # its select_related instances, the annotations' {name: column index}).
    builder: tuple | None = None

    def rows(self, values: dict, *, low: int | None = None, high: int | None = None) -> list[dict]:
        """The statement's rows as .values() dicts, `values` put in its slots; [low:high] as a queryset's slice."""
        return [dict(zip(self.names, row, strict=True)) for row in self.tuples(values, low=low, high=high)]

    def tuples(self, values: dict, *, low: int | None = None, high: int | None = None) -> list[tuple]:
        """The statement's rows as tuples, as a .values_list() queryset gives them, `values` put in its slots."""
        fetched = self._fetch(values, low=low, high=high)
        if not self.converters:
            return fetched
        rows = []
        for row in fetched:
            row = list(row)
            for index, convs, expression in self.converters:
                for converter in convs:
                    row[index] = converter(row[index], expression, connection)
            rows.append(tuple(row))
        return rows

    def instances(self, values: dict, *, low: int | None = None, high: int | None = None) -> list:
        """The statement's model instances, as list(queryset[low:high]) gives them, `values` put in its slots."""
        compiler, model, attnames, populators, annotations = self.builder
        fetched = self._fetch(values, low=low, high=high)
        end = len(attnames)
        instances = []
        for row in compiler.results_iter([fetched]):
            instance = model.from_db(connection.alias, attnames, row[:end])
            for populator in populators:
                populator.populate(row, instance)
            for name, index in annotations.items():
                setattr(instance, name, row[index])
            instances.append(instance)
        return instances

    def _fetch(self, values: dict, *, low: int | None, high: int | None) -> list:
        ops = connection.ops
        params = []
        for slot in self.slots:
            if slot[0] == VALUE:
                params.append(_adapt(values[slot[1]]))
            elif slot[0] == LIKE:
                params.append(slot[2] % ops.prep_for_like_query(values[slot[1]]))
            elif slot[0] == ITEM:
                items = values[slot[1]]
                if len(items) != slot[3]:
                    raise AssertionError(f"{slot[1]}: {len(items)} items for a statement of {slot[3]}")
                params.append(_adapt(items[slot[2]]))
            else:
                params.append(slot[1])
        sql = self.sql
        if low or high is not None:
            sql = f"{sql} {ops.limit_offset_sql(low or 0, high)}"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


def _adapt(value):
    """The value as the ORM hands a value of its type to the database (a datetime or a date as its field adapts it)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value


_composed: dict = {}


def stand_ins_for(values: dict) -> tuple[dict, dict]:
    """Two sets of stand-ins for a request's `values`: the same names, kinds and list lengths, values no row or
    moment has, each different in the two sets (ids below zero, moments and days in 1901 and 1902, text no one
    searches)."""
    sets = []
    for which in (1, 2):
        stand_ins = {}
        for number, (name, value) in enumerate(sorted(values.items())):
            first = -(1_000_000 * which + 10_000 * number)
            if isinstance(value, list | tuple):
                if not all(isinstance(item, int) and not isinstance(item, bool) for item in value):
                    raise TypeError(f"stand_ins_for: {name} is a list of ids, not {value!r}")
                stand_ins[name] = [first - index for index in range(len(value))]
            elif isinstance(value, datetime):
                stand_ins[name] = datetime(1900 + which, 2, 3, 4, 5, 6, 7, tzinfo=UTC) + timedelta(days=number)
            elif isinstance(value, date):
                stand_ins[name] = date(1900 + which, 2, 3) + timedelta(days=number)
            elif isinstance(value, int) and not isinstance(value, bool):
                stand_ins[name] = first
            elif isinstance(value, str):
                stand_ins[name] = f"statement-stand-in-{which}-{number}"
            else:
                raise TypeError(f"stand_ins_for: no stand-in for {name}={value!r}")
        sets.append(stand_ins)
    return sets[0], sets[1]


def composed_for(key: tuple, compose: Callable, values: dict) -> ComposedStatement:
    """The statement of the queryset `compose(**values)` (of .values(), or of model instances without
    prefetch_related) for the kind of read `key` names, composed once per process and database connection alias;
    run it with the request's `values` (rows, tuples, instances).

    When first asked for, it is composed twice, with the two sets of stand-ins stand_ins_for(values) makes (the
    same names, kinds and list lengths; values no real request has, each different in the two sets), and each
    value's parameters are found as the parameters that differ: the same SQL twice and those positions exactly
    where a stand-in went, else an AssertionError (never a statement whose parameters are in doubt). The request's
    own values are never composed. Everything else that changes the SQL must be in `key`: each list's length is
    added to it (an empty list is the caller's case: the ORM composes no statement for `__in []`), and a value of
    a kind stand_ins_for has no stand-in for (a bool, None, a list of text) belongs in `key`, not in `values`."""
    lengths = tuple((name, len(value)) for name, value in sorted(values.items()) if isinstance(value, list | tuple))
    full_key = (connection.alias, connection.vendor, *key, lengths)
    statement = _composed.get(full_key)
    if statement is None:
        statement = _kept(full_key, _compose(compose, stand_ins=stand_ins_for(values)))
    return statement


# A bound on the statements kept: kinds of read are few, but a list's every length is a statement of its own.
_COMPOSED_KEPT = 512


def _kept(full_key: tuple, statement: ComposedStatement) -> ComposedStatement:
    if len(_composed) >= _COMPOSED_KEPT:
        _composed.clear()
    _composed[full_key] = statement
    return statement


def _compose(compose: Callable, *, stand_ins: tuple[dict, dict]) -> ComposedStatement:
    composed = []
    for values in stand_ins:
        queryset = compose(**values)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql(with_limits=False)
        composed.append((sql, list(params), compiler, queryset))
    (sql, params, compiler, queryset), (sql_b, params_b, _, _) = composed
    query = queryset.query
    first, second = stand_ins
    if sql != sql_b or len(params) != len(params_b):
        raise AssertionError("the statement depends on more than its values")
    slots = []
    for param, param_b in zip(params, params_b, strict=True):
        slot = None
        for name, value in first.items():
            if param == _adapt(value) and param_b == _adapt(second[name]):
                slot = (VALUE, name)
            elif isinstance(value, list | tuple):
                for index, item in enumerate(value):
                    if param == _adapt(item) and param_b == _adapt(second[name][index]):
                        slot = (ITEM, name, index, len(value))
            elif isinstance(value, str) and isinstance(param, str) and value in param and param != value:
                pattern = param.replace("%", "%%").replace(value, "%s", 1)
                if pattern % second[name] == param_b:
                    slot = (LIKE, name, pattern)
        if slot is None:
            if param != param_b:
                raise AssertionError(f"the statement has a parameter of unknown origin: {param!r}")
            slot = (CONSTANT, param)
        slots.append(slot)
    fields = [select[0] for select in compiler.select[: compiler.col_count]]
    converters = tuple(
        (index, tuple(convs), expression) for index, (convs, expression) in compiler.get_converters(fields).items()
    )
    names = (
        tuple(query.selected)
        if query.selected
        else (*query.extra_select, *query.values_select, *query.annotation_select)
    )
    builder = None
    if issubclass(queryset._iterable_class, ModelIterable):
        if queryset._known_related_objects or queryset._prefetch_related_lookups:
            raise AssertionError("a statement's instances come from its own row only")
        klass_info = compiler.klass_info
        columns = compiler.select[klass_info["select_fields"][0] : klass_info["select_fields"][-1] + 1]
        if klass_info["select_fields"][0] != 0:
            raise AssertionError("a statement's model columns come first")
        builder = (
            compiler,
            klass_info["model"],
            [column[0].target.attname for column in columns],
            tuple(get_related_populators(klass_info, compiler.select, connection.alias)),
            dict(compiler.annotation_col_map or {}),
        )
    return ComposedStatement(sql=sql, slots=tuple(slots), names=names, converters=converters, builder=builder)
