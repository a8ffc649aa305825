"""What the tests of statements composed once (counseling.statements) compare: the model instances a composed read
builds against those its ORM queryset gives."""


def _loaded(obj, seen=()):
    """Every loaded field and annotation of the instance, its state, and the related instances cached on it (a
    missing reverse one-to-one as None), recursively (an instance already on the way down by its model and id: a
    profile caches its user)."""
    if obj is None:
        return None
    if any(obj is other for other in seen):
        return ("seen", type(obj), obj.pk)
    values = {key: value for key, value in vars(obj).items() if not key.startswith("_")}
    values["_cached"] = {name: _loaded(related, (*seen, obj)) for name, related in obj._state.fields_cache.items()}
    values["_state"] = (type(obj), obj._state.adding, obj._state.db, frozenset(obj.get_deferred_fields()))
    return values


def assert_same_instances(composed, orm, *, ordered=False) -> None:
    """The same instances, field by field with what they cache, in the same order if `ordered`, else by id."""
    if not ordered:
        composed, orm = sorted(composed, key=lambda obj: obj.pk), sorted(orm, key=lambda obj: obj.pk)
    assert [_loaded(obj) for obj in composed] == [_loaded(obj) for obj in orm]
