"""Database helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.db.models.options import Options
from psycopg.types.json import Jsonb


def bulk_update_rows(objs: Iterable[models.Model], fields: Sequence[str], *, batch_size: int = 1000) -> int:
    """`UPDATE t SET f = v.f FROM (rows) v WHERE t.id = v.id`: one statement per batch.

    Django's bulk_update builds a CASE expression per row and field, which costs milliseconds per row
    in Python; ingestion updates hundreds of rows per batch. On PostgreSQL the rows are one array per
    column, unnested (a placeholder per column, not per cell: the driver parsed and quoted every cell of a
    VALUES list, an eighth of a poll's CPU); SQLite (3.33+) reads a VALUES list.
    """
    objs = list(objs)
    if not objs:
        return 0
    model = type(objs[0])
    meta = model._meta
    columns = [_column(meta, name) for name in fields]
    pk = _primary_key(meta)
    every = [pk, *columns]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    key = quote(_db_column(pk))
    assignments = ", ".join(f"{quote(_db_column(f))} = v.{quote(_db_column(f))}" for f in columns)
    names = ", ".join(quote(_db_column(f)) for f in every)
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        # An array's type drops the length (varchar(300)[] would be cut, not checked, by the cast).
        arrays = ", ".join(f"%s::{_array_type(f)}" for f in every)
        unnest_sql = (
            f"UPDATE {table} SET {assignments} FROM UNNEST({arrays}) AS v({names}) "
            f"WHERE {table}.{key} = v.{key}"
        )
    updated = 0
    for start in range(0, len(objs), batch_size):
        batch = objs[start : start + batch_size]
        cells = [[f.get_db_prep_save(getattr(obj, f.attname), connection) for f in every] for obj in batch]
        if postgresql:
            sql = unnest_sql
            params: list[Any] = [[_array_cell(row[n]) for row in cells] for n in range(len(every))]
        else:
            # SQLite names VALUES columns column1, column2...: alias them through a CTE.
            rows = ", ".join(f"({', '.join(['%s'] * len(every))})" for _ in batch)
            sql = (
                f"WITH v({names}) AS (VALUES {rows}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{key} = v.{key}"
            )
            params = [value for row in cells for value in row]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            updated += cursor.rowcount
    return updated


def _array_type(field: models.Field[Any, Any]) -> str:
    db_type = field.cast_db_type(connection)
    if db_type is None:
        raise TypeError(f"{field} has no database type to cast an array of it to")
    return db_type.split("(")[0] + "[]"


def _array_cell(value: Any) -> Any:
    """A cell of a column array: JSON as Jsonb (psycopg would read a dict as a composite)."""
    return Jsonb(value) if isinstance(value, dict | list) else value


def insert_rows(objs: Sequence[models.Model], *, key: str) -> None:
    """Insert new rows and set their primary keys; on PostgreSQL through COPY, elsewhere bulk_create.

    COPY skips the SQL text Django would build (one placeholder per field per row, parsed again by the
    driver) and is several times cheaper per row. `key` names a field unique among `objs` (with their
    other unique-together fields fixed by the caller), used to read the new primary keys back.
    """
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, batch_size=1000)
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if _copyable(f)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_db_column(f)) for f in fields)
    # psycopg adapts plain Python values itself; only JSON needs saying. (get_db_prep_save per cell,
    # through the connection proxy, cost more than the COPY.)
    attnames = [f.attname for f in fields]
    as_json = [isinstance(f, models.JSONField) for f in fields]
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy,
    ):
        for obj in objs:
            row = [getattr(obj, name) for name in attnames]
            copy.write_row([Jsonb(v) if j else v for v, j in zip(row, as_json, strict=True)])
    key_field = _column(meta, key)
    values = [getattr(obj, key_field.attname) for obj in objs]
    scope = {
        f.attname: getattr(objs[0], f.attname)
        for f in meta.concrete_fields
        if f.is_relation and f.attname in _scope_fields(meta, key)
    }
    pks = dict(model._default_manager.filter(**scope, **{f"{key}__in": values}).values_list(key, "pk"))
    for obj in objs:
        obj.pk = pks[getattr(obj, key_field.attname)]
        obj._state.adding = False


def _column(meta: Options[Any], name: str) -> models.Field[Any, Any]:
    """The concrete field `name` of a model (a reverse relation has no column to write)."""
    field = meta.get_field(name)
    if not isinstance(field, models.Field):
        raise ValueError(f"{meta.label}.{name} is not a column")
    return field


def _db_column(field: models.Field[Any, Any]) -> str:
    if not field.column:
        raise ValueError(f"{field} has no column")
    return field.column


def _primary_key(meta: Options[Any]) -> models.Field[Any, Any]:
    if meta.pk is None:
        raise ValueError(f"{meta.label} has no primary key column")
    return meta.pk


def _copyable(field: models.Field[Any, Any]) -> bool:
    # Non-editable fields still get written (timestamps, payloads), except columns a trigger fills.
    return not field.primary_key and field.get_internal_type() != "SearchVectorField"


def _scope_fields(meta: Options[Any], key: str) -> set[str]:
    """The other fields of the unique constraint that contains `key` (e.g. channel for external_id)."""
    for constraint in meta.constraints:
        fields = getattr(constraint, "fields", ())
        if key in fields:
            return {_column(meta, name).attname for name in fields if name != key}
    return set()
