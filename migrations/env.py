"""Alembic environment: runs on the engine llmzoo passes in; batch mode for SQLite ALTERs."""

from __future__ import annotations

from alembic import context

from catalog.store.db import lock_writers
from catalog.store.schema import metadata

config = context.config
target_metadata = metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from catalog.store.db import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect().execution_options(llmzoo_write=True) as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode copies and drops tables; with foreign keys on, a DROP would cascade-delete
            # child rows. Turn them off (outside any transaction) and check them before commit.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
            transactional_ddl=True,  # SQLite and PostgreSQL both roll DDL back: one all-or-nothing upgrade
        )
        with context.begin_transaction():
            lock_writers(connection)  # PostgreSQL: concurrent first uses upgrade one after the other
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration would break foreign keys: {broken[:5]}")
        connection.commit()
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")


if context.is_offline_mode():
    raise SystemExit("llmzoo migrations run online only: use `llmzoo db upgrade`")
run_migrations_online()
