"""PostgreSQL as Django ships it, knowing `tsvector` as a column type.

Django's bulk_create on PostgreSQL sends one array per column through UNNEST, unless a field's type is
missing from the backend's `data_types`; SearchVectorField is (its `db_type()` answers "tsvector" itself), so
every bulk insert of inbox messages fell back to a VALUES list with a placeholder per value: ~15,000 per
chunk of 500, which psycopg parses and Django compiles one by one. Measured on this project's CI machine
kind, 30,000 messages: 224 us of Python and 85 us of PostgreSQL CPU per row with VALUES, 73 and 64 us
through UNNEST (`python -m bench.ingest` reports the same figures end to end).
"""

from __future__ import annotations

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    data_types = {**base.DatabaseWrapper.data_types, "SearchVectorField": "tsvector"}
