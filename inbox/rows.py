"""Writing an inbox row: one INSERT that also announces it (see the package docstring)."""

from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django_q.conf import Conf

__all__ = ["insert_announced"]


def insert_announced(
    obj: models.Model,
    *,
    channel: str,
    process: Callable[[], Any],
    conflict: str = "",
    announce: bool = True,
) -> bool:
    """Insert `obj`, a new instance, in one statement and give it its primary key.

    With `announce` the statement also announces the row on `channel` (PostgreSQL:
    `pg_notify` in its RETURNING, so at the statement's commit), and in django-q2's sync
    mode `process()` runs once the row is committed. `conflict` is an ON CONFLICT target,
    e.g. `(source_id, dedup_key) WHERE holds_key`: a row that conflicts is not written,
    nothing is announced, and the answer is False. Values go through each field's
    `pre_save` and `get_db_prep_save`, as the ORM's own insert; no signal is sent."""
    database = connections[DEFAULT_DB_ALIAS]
    opts = obj._meta
    fields = [field for field in opts.concrete_fields if not field.primary_key]
    values = [f.get_db_prep_save(f.pre_save(obj, True), database) for f in fields]
    placeholders = [
        f.get_placeholder(v, None, database) if hasattr(f, "get_placeholder") else "%s"
        for f, v in zip(fields, values, strict=True)
    ]
    quote = database.ops.quote_name
    returning = quote(opts.pk.column)
    notify = announce and database.vendor == "postgresql"
    if notify:
        returning += ", pg_notify(%s, '')"
        values.append(channel)
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(placeholders)})"
        f"{f' ON CONFLICT {conflict} DO NOTHING' if conflict else ''} RETURNING {returning}"
    )
    with database.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding, obj._state.db = False, database.alias
    if announce and Conf.SYNC:
        transaction.on_commit(process)
    return True
