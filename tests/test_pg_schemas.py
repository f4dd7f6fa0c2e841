"""The PostgreSQL run's schemas (tests/pg_schemas.py): replaying the SQL Alembic sent makes the
schema Alembic made, and the comparison that guards it notices a difference."""

import psycopg
import pytest
from conftest import BASE_TEST_CONFIG, DATABASE_URL

from blog import create_app
from blog.database import upgrade_schema
from blog.extensions import db
from tests.pg_schemas import (
    SchemaPool,
    describe_schema,
    drop_schema,
    libpq_url,
    new_schema_name,
    record_migration_sql,
    schema_url,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not DATABASE_URL, reason="TEST_DATABASE_URL is not set"),
]


def test_replayed_migrations_make_the_schema_alembic_made(tmp_path) -> None:
    made, replayed, altered = new_schema_name(), new_schema_name(), new_schema_name()
    with psycopg.connect(libpq_url(DATABASE_URL), autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{made}"')
        try:
            app = create_app(
                {
                    **BASE_TEST_CONFIG,
                    "INSTANCE_PATH": str(tmp_path),
                    "SQLALCHEMY_DATABASE_URI": schema_url(DATABASE_URL, made),
                }
            )
            with app.app_context():
                script = record_migration_sql(db.engine, lambda: upgrade_schema(app))
                db.engine.dispose()
            assert "CREATE TABLE reply" in script and "CREATE TRIGGER" in script

            SchemaPool(DATABASE_URL, script).build(replayed)
            alembic_made = describe_schema(admin, made)
            assert any("ix_reply_email_status_post" in row for row in alembic_made)
            assert describe_schema(admin, replayed) == alembic_made

            # One statement more or less shows: here an index the migrations make is missing.
            dropped = script + "DROP INDEX ix_reply_email_status_post;\n"
            SchemaPool(DATABASE_URL, dropped).build(altered)
            missing = set(alembic_made) - set(describe_schema(admin, altered))
            assert missing and all("ix_reply_email_status_post" in row for row in missing)
        finally:
            for schema in (made, replayed, altered):
                drop_schema(admin, schema)
