"""The migrations build exactly the models' schema, and go down and up again without losing the
rows of any table they do not drop."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select

from lms import create_app
from lms.extensions import db


def _fk_signature(constraint) -> tuple:
    return (constraint.parent.name, tuple(c.name for c in constraint.columns),
            constraint.referred_table.name)


def _named_the_same_but_in_sqlite(conn, diff: list) -> list:
    """Leave out a foreign key SQLite reads back without its name and ON DELETE: one a
    migration added with its column in place (ALTER TABLE ... ADD COLUMN ... CONSTRAINT name
    REFERENCES ... ON DELETE ...), which SQLite keeps but its reflection does not read. The
    ON DELETE is checked here from SQLite's own list; anything else still counts."""
    removed = {_fk_signature(d[1]) for d in diff
               if d[0] == "remove_fk" and d[1].name is None}
    added = {_fk_signature(d[1]): d[1] for d in diff if d[0] == "add_fk"}
    same = removed & set(added)
    for table, columns, referred in same:
        enforced = {(row[3],): row[6] for row in conn.exec_driver_sql(
            f'PRAGMA foreign_key_list("{table}")') if row[2] == referred}
        assert enforced[columns] == (added[table, columns, referred].ondelete or "NO ACTION")
    return [d for d in diff if not (d[0] in ("remove_fk", "add_fk")
                                    and _fk_signature(d[1]) in same)]


def test_migrated_schema_matches_the_models(app):
    """The test schema was built by `upgrade`; autogenerate must find nothing to change."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
        if db.engine.dialect.name == "sqlite":
            diff = _named_the_same_but_in_sqlite(conn, diff)
    assert diff == []


def test_lms_db_upgrade_on_an_empty_database(tmp_path):
    app = create_app({"LMS_ENV": "test", "TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/empty.db"})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert set(db.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_every_migration_goes_down_and_up_again(tmp_path):
    """Down to the empty database and back up, on SQLite, whose batch mode copies tables (a
    CHECK left naming a dropped column broke the way down once)."""
    app = create_app({"LMS_ENV": "test", "TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/round-trip.db"})
    runner = app.test_cli_runner()
    for args in (["db", "upgrade"], ["db", "downgrade", "base"], ["db", "upgrade"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, (args, result.output, result.exception)
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert set(db.metadata.tables) <= tables


# Below it, the way down drops the first tables, which the demo's rows reference.
LOWEST_WITH_DATA = "b56d4d4d8042"


def _counts() -> dict[str, int]:
    tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    with db.engine.connect() as connection:
        return {name: connection.scalar(select(func.count()).select_from(db.table(name)))
                for name in tables}


def test_no_migration_loses_the_rows_of_another_table(tmp_path):
    """Each migration from the newest down to LOWEST_WITH_DATA, on the demo's data: down one
    step and up again keeps every row of the tables on both sides. On SQLite, batch mode
    rebuilds a table by dropping it, and with foreign keys on that deleted every row hanging
    from it (deal histories, lessons, progress, attempts, awards) until the migrations
    changed columns in place."""
    from lms.demo import load_demo

    app = create_app({"LMS_ENV": "test", "TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/walk.db",
                      "LMS_UPLOAD_DIR": str(tmp_path / "uploads")})
    runner = app.test_cli_runner()

    def db_command(*args: str) -> None:
        result = runner.invoke(args=["db", *args])
        assert result.exit_code == 0, (args, result.output, result.exception)

    with app.app_context():
        db_command("upgrade")
        load_demo()
        db.session.commit()
        db.session.remove()
        lost = []
        while True:
            with db.engine.connect() as connection:
                revision = connection.scalar(db.text("SELECT version_num FROM alembic_version"))
            if revision == LOWEST_WITH_DATA:
                break
            before = _counts()
            db_command("downgrade", "--", "-1")
            down = _counts()
            db_command("upgrade", "+1")
            up = _counts()
            lost += [(revision, "down", name, before[name], down[name])
                     for name in down if name in before and down[name] < before[name]]
            lost += [(revision, "up", name, down[name], up[name])
                     for name in down if up.get(name, 0) < down[name]]
            db_command("downgrade", "--", "-1")
        db.engine.dispose()
    assert lost == []
