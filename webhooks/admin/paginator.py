"""Counting a large delivery log without reading it."""

import json

from django.core.paginator import Paginator
from django.db import connection
from django.utils.functional import cached_property

__all__ = ["EstimatedCountPaginator"]


class EstimatedCountPaginator(Paginator):
    """On PostgreSQL a large delivery list is not counted: COUNT(*) reads every matching
    row, even from an index.

    The unfiltered list takes the planner's `reltuples` when it is above
    ESTIMATE_ABOVE_ROWS. A filtered one is counted, but only up to ESTIMATE_ABOVE_ROWS + 1
    rows, so the count costs the same for any size of log; a list that reaches that many
    shows the planner's row estimate for the filter (EXPLAIN) instead, if larger. Below
    the threshold every count is exact."""

    ESTIMATE_ABOVE_ROWS = 100_000

    @cached_property
    def count(self):
        if connection.vendor != "postgresql":
            return super().count
        queryset = self.object_list.order_by()
        if not queryset.query.where:
            estimate = self._table_estimate()
            return estimate if estimate > self.ESTIMATE_ABOVE_ROWS else super().count
        counted = queryset[: self.ESTIMATE_ABOVE_ROWS + 1].count()
        if counted <= self.ESTIMATE_ABOVE_ROWS:
            return counted
        return max(counted, self._planner_estimate())

    def _table_estimate(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE relname = %s",
                [self.object_list.model._meta.db_table],
            )
            row = cursor.fetchone()
        return row[0] if row else 0

    def _planner_estimate(self) -> int:
        sql, params = self.object_list.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])
