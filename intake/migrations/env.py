"""Alembic environment: uses the engine or connection handed over by intake.database."""

from alembic import context

from intake.schema import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = config.attributes["engine"]
        with engine.begin() as connection:
            _configure_and_run(connection)
    else:
        _configure_and_run(connection)


def _configure_and_run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
