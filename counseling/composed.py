"""Statements a page runs on every request, composed by the ORM once per process and run with each request's values.

Composing a queryset's SQL (resolving its joins, choosing, quoting and converting its columns) costs several times
what the database spends running a small statement on an index. `composed_rows(key, build, **values)` gives what
`list(build(**values))` gives: the ORM composes `build`'s statement once per process and database, with two sets of
stand-in values, and each value's parameters are found as the parameters that differ (the same SQL twice, and
those positions exactly where a stand-in went, else an error: never a statement whose parameters are in doubt).
The rows are turned into model instances (with their select_related objects and annotations) as the ORM's own
ModelIterable does, or for a values_list() queryset into tuples, with the ORM's converters of each column.

A value is an int (an id) or a datetime, or a list of ids (its length is part of the statement: `key` and the
stand-ins take it into account; an empty list runs the queryset itself).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connections, router
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators


@dataclass(frozen=True)
class _Composed:
    sql: str
    slots: tuple  # per parameter: ("value", the constant, False) or (name, index in a list or None, adapt a datetime)
    converters: tuple  # ((column, the ORM's converters of that column, its expression), ...)
    model: type | None  # None: values_list() tuples
    start: int  # the model's own columns: [start:end]
    end: int
    init_list: tuple
    related_populators: tuple
    annotations: tuple  # ((attribute, column), ...)

    def rows(self, connection, values: dict) -> list:
        adapt = connection.ops.adapt_datetimefield_value
        params = []
        for name, index, as_datetime in self.slots:
            if name == "value":
                params.append(index)
                continue
            value = values[name] if index is None else values[name][index]
            params.append(adapt(value) if as_datetime else value)
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            fetched = cursor.fetchall()
        if self.converters:
            fetched = [self._converted(row, connection) for row in fetched]
        if self.model is None:  # values_list(): the rows as tuples
            return fetched
        # As ModelIterable builds them (no known related objects: a composed queryset comes from a manager).
        db, start, end = connection.alias, self.start, self.end
        objects = []
        for row in fetched:
            obj = self.model.from_db(db, self.init_list, row[start:end])
            for populator in self.related_populators:
                populator.populate(row, obj)
            for attribute, column in self.annotations:
                setattr(obj, attribute, row[column])
            objects.append(obj)
        return objects

    def _converted(self, row, connection) -> tuple:
        row = list(row)
        for column, converters, expression in self.converters:
            for converter in converters:
                row[column] = converter(row[column], expression, connection)
        return tuple(row)


_composed: dict[tuple, _Composed] = {}
_COMPOSED_KEPT = 512  # the key holds the length of each list: bounded by what pages ask, and bounded here


def composed_rows(key: str, build: Callable, *, model: type, **values) -> list:
    """list(build(**values)), its statement composed once per process and database (see the module). `model`: the
    queryset's model (the database is the router's for reading it)."""
    if any(isinstance(value, list | tuple) and not value for value in values.values()):
        return list(build(**values))
    db = router.db_for_read(model)
    connection = connections[db]
    shape = tuple(
        sorted((name, len(value) if isinstance(value, list | tuple) else None) for name, value in values.items())
    )
    cache_key = (key, db, connection.vendor, shape)
    composed = _composed.get(cache_key)
    if composed is None:
        if len(_composed) >= _COMPOSED_KEPT:
            _composed.clear()
        first, second = build(**_stand_ins(values, 0)), build(**_stand_ins(values, 1))
        if first.model is not model or first.db != db:
            raise AssertionError("composed_rows: the queryset reads another model or database")
        if first._prefetch_related_lookups or first._known_related_objects:
            raise AssertionError("composed_rows runs one statement: no prefetch, no related manager's queryset")
        composed = _composed[cache_key] = _compose(first, second, values, connection)
    return composed.rows(connection, values)


def _stand_ins(values: dict, which: int) -> dict:
    """Values of the same kinds and lengths, none of which a real row or moment has."""
    stand_ins = {}
    for number, (name, value) in enumerate(sorted(values.items())):
        base = -(1_000_000 * (which + 1) + 10_000 * number)
        if isinstance(value, list | tuple):
            stand_ins[name] = [base - index for index in range(len(value))]
        elif isinstance(value, datetime):
            stand_ins[name] = datetime(1901 + which, 2, 3, 4, 5, 6, 7, tzinfo=UTC) + timedelta(days=number)
        elif isinstance(value, int) and not isinstance(value, bool):
            stand_ins[name] = base
        else:
            raise TypeError(f"composed_rows: no stand-in for {name}={value!r}")
    return stand_ins


def _compose(first, second, values: dict, connection) -> _Composed:
    compiler = first.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    sql_b, params_b = second.query.get_compiler(connection=connection).as_sql()
    if sql != sql_b or len(params) != len(params_b):
        raise AssertionError("a composed statement depends on more than its values")
    where = {}
    for which, stand_ins in ((0, _stand_ins(values, 0)), (1, _stand_ins(values, 1))):
        for name, value in stand_ins.items():
            for index, item in enumerate(value) if isinstance(value, list) else ((None, value),):
                if isinstance(item, datetime):
                    where[(which, item)] = (name, index, False)
                    where[(which, connection.ops.adapt_datetimefield_value(item))] = (name, index, True)
                else:
                    where[(which, item)] = (name, index, False)
    slots = []
    for param, param_b in zip(params, params_b, strict=True):
        slot = where.get((0, param))
        if slot is not None and where.get((1, param_b)) == slot:
            slots.append(slot)
        elif param == param_b and slot is None:
            slots.append(("value", param, False))
        else:
            raise AssertionError(f"a composed statement has a parameter of unknown origin: {param!r}")
    select, klass_info = compiler.select, compiler.klass_info
    converters = tuple(
        (column, tuple(converters), expression)
        for column, (converters, expression) in compiler.get_converters(
            [column[0] for column in select[: compiler.col_count]]
        ).items()
    )
    if first._iterable_class is ValuesListIterable:
        return _Composed(
            sql=sql,
            slots=tuple(slots),
            converters=converters,
            model=None,
            start=0,
            end=0,
            init_list=(),
            related_populators=(),
            annotations=(),
        )
    if klass_info is None or first._iterable_class is not ModelIterable:
        raise AssertionError("composed_rows composes querysets of model instances or of values_list() tuples")
    select_fields = klass_info["select_fields"]
    start, end = select_fields[0], select_fields[-1] + 1
    return _Composed(
        sql=sql,
        slots=tuple(slots),
        converters=converters,
        model=klass_info["model"],
        start=start,
        end=end,
        init_list=tuple(column[0].target.attname for column in select[start:end]),
        related_populators=tuple(get_related_populators(klass_info, select, connection.alias)),
        annotations=tuple((compiler.annotation_col_map or {}).items()),
    )
