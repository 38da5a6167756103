"""Alembic environment: the engine comes from stmon (see monitor.store.migrate)."""

from __future__ import annotations

from alembic import context

from monitor.store.tables import Base

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
