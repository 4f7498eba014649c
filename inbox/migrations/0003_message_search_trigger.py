"""On PostgreSQL the search vector is computed by a trigger as rows are written: no second UPDATE (and
no dead row) per message. French and English stemming side by side, since customers write in both."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION inbox_message_search_vector() RETURNS trigger AS $$
BEGIN
    NEW.search_vector := to_tsvector('french', coalesce(NEW.text, ''))
                      || to_tsvector('english', coalesce(NEW.text, ''));
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS inbox_message_search_vector ON inbox_message;
CREATE TRIGGER inbox_message_search_vector BEFORE INSERT OR UPDATE OF text ON inbox_message
    FOR EACH ROW EXECUTE FUNCTION inbox_message_search_vector();
"""
DROP = """
DROP TRIGGER IF EXISTS inbox_message_search_vector ON inbox_message;
DROP FUNCTION IF EXISTS inbox_message_search_vector();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0002_message_search_index")]
    operations = [migrations.RunPython(create, drop)]
