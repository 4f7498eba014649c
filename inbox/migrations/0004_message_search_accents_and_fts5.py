"""Search ignores accents on both databases, and SQLite gets real full-text search.

PostgreSQL: the trigger feeds the French and English vectors text with its accents folded, by an
IMMUTABLE `cmhub_unaccent` built on translate() (no extension to install, so no superuser needed), and
queries are folded by the same function; existing rows are recomputed once.

SQLite: an FTS5 index over inbox_message.text (external content: the text is stored once, in the table),
tokenizer unicode61 with diacritics removed, kept in step by three triggers and rebuilt once here.
Each side is a no-op on the other database.

On SQLite, Django applies most later ALTERs of inbox_message by rebuilding the table, which drops these
triggers: a post_migrate handler (inbox.apps.ensure_sqlite_search_index) runs SQLITE_CREATE again when
they are missing, so this module's SQL is read by app code and must keep its names.
"""

import unicodedata

from django.db import migrations

# Single-character foldings for Latin letters with diacritics (Latin-1, Extended-A/B, Extended Additional),
# computed once here so the migration does not depend on app code that may change later.
_FROM, _TO = [], []
for _code in list(range(0x00C0, 0x0250)) + list(range(0x1E00, 0x1F00)):
    _char = chr(_code)
    _base = "".join(c for c in unicodedata.normalize("NFKD", _char) if not unicodedata.combining(c))
    if len(_base) == 1 and _base != _char and _base.isascii():
        _FROM.append(_char)
        _TO.append(_base)
for _char, _base in {"ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L"}.items():
    _FROM.append(_char)
    _TO.append(_base)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


PG_CREATE = f"""
CREATE OR REPLACE FUNCTION cmhub_unaccent(value text) RETURNS text AS $$
    SELECT replace(replace(replace(replace(replace(
        translate(value, {_literal("".join(_FROM))}, {_literal("".join(_TO))}),
        'œ', 'oe'), 'Œ', 'OE'), 'æ', 'ae'), 'Æ', 'AE'), 'ß', 'ss')
$$ LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION inbox_message_search_vector() RETURNS trigger AS $$
BEGIN
    NEW.search_vector := to_tsvector('french', cmhub_unaccent(coalesce(NEW.text, '')))
                      || to_tsvector('english', cmhub_unaccent(coalesce(NEW.text, '')));
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
UPDATE inbox_message SET search_vector = to_tsvector('french', cmhub_unaccent(coalesce(text, '')))
                                      || to_tsvector('english', cmhub_unaccent(coalesce(text, '')));
"""
PG_DROP = """
CREATE OR REPLACE FUNCTION inbox_message_search_vector() RETURNS trigger AS $$
BEGIN
    NEW.search_vector := to_tsvector('french', coalesce(NEW.text, ''))
                      || to_tsvector('english', coalesce(NEW.text, ''));
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
UPDATE inbox_message SET search_vector = to_tsvector('french', coalesce(text, ''))
                                      || to_tsvector('english', coalesce(text, ''));
DROP FUNCTION IF EXISTS cmhub_unaccent(text);
"""

SQLITE_CREATE = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS inbox_message_fts USING fts5(
        text, content='inbox_message', content_rowid='id', tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER IF NOT EXISTS inbox_message_fts_insert AFTER INSERT ON inbox_message BEGIN
        INSERT INTO inbox_message_fts(rowid, text) VALUES (new.id, new.text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS inbox_message_fts_delete AFTER DELETE ON inbox_message BEGIN
        INSERT INTO inbox_message_fts(inbox_message_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS inbox_message_fts_update AFTER UPDATE OF text ON inbox_message BEGIN
        INSERT INTO inbox_message_fts(inbox_message_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO inbox_message_fts(rowid, text) VALUES (new.id, new.text);
    END""",
    "INSERT INTO inbox_message_fts(inbox_message_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS inbox_message_fts_insert",
    "DROP TRIGGER IF EXISTS inbox_message_fts_delete",
    "DROP TRIGGER IF EXISTS inbox_message_fts_update",
    "DROP TABLE IF EXISTS inbox_message_fts",
]


def _run(schema_editor, *, postgresql: list[str], sqlite: list[str]) -> None:
    statements = {"postgresql": postgresql, "sqlite": sqlite}.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def create(apps, schema_editor):
    _run(schema_editor, postgresql=[PG_CREATE], sqlite=SQLITE_CREATE)


def drop(apps, schema_editor):
    # Back to migration 0003's vectors (copied here: a migration never imports one that may change).
    _run(schema_editor, postgresql=[PG_DROP], sqlite=SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0003_message_search_trigger")]
    operations = [migrations.RunPython(create, drop)]
