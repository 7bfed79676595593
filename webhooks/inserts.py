"""One INSERT for many new rows of a model: what the hot paths use instead of bulk_create.

Django 5.2's `bulk_create` on PostgreSQL sends rows of plain values as one UNNEST array per
column, and with the client-side parameter binding of Django's psycopg backend, psycopg
builds those array literals in Python, escaping every element: for the delivery engine's
attempt rows (headers, bodies) that dominated a worker's time, and for the few rows of a
publish the compiler's work per value outweighed the round trip itself (bench/README.md,
"Profiling", has the figures). A plain multi-row VALUES list, each value adapted by its own
field as the ORM's insert does, costs a fraction of either.
"""

from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS, connections, models

__all__ = ["insert_all"]


def insert_all(objs: Sequence[models.Model]) -> None:
    """Insert `objs`, new instances of one model, in as few statements as the database
    allows, and give them their primary keys. Values go through each field's `pre_save`
    and `get_db_prep_save`; no signals are sent (as with `bulk_create`). Not for fields
    with a placeholder of their own (BinaryField)."""
    if not objs:
        return
    database = connections[DEFAULT_DB_ALIAS]  # not the proxy: it is asked once per value
    opts = objs[0]._meta
    fields = [field for field in opts.concrete_fields if not field.primary_key]
    if any(hasattr(field, "get_placeholder") for field in fields):
        raise TypeError(f"insert_all() cannot insert {opts.label}: use bulk_create()")
    quote = database.ops.quote_name
    into = f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)})"
    row = f"({', '.join(['%s'] * len(fields))})"
    size = max(database.ops.bulk_batch_size(fields, objs), 1)
    with database.cursor() as cursor:
        for start in range(0, len(objs), size):
            batch = objs[start : start + size]
            cursor.execute(
                f"{into} VALUES {', '.join([row] * len(batch))} RETURNING {quote(opts.pk.column)}",
                [
                    f.get_db_prep_save(f.pre_save(obj, True), database)
                    for obj in batch
                    for f in fields
                ],
            )
            for obj, (pk,) in zip(batch, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding, obj._state.db = False, database.alias
