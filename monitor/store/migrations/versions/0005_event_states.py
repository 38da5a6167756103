"""event state history

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 15:40:00

Events that exist already get one row: the state they are in, without its article.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("was", sa.String(length=20), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_states_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_event_states_item_id_items"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_states")),
    )  # fmt: skip
    with op.batch_alter_table("event_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_states_event_id"), ["event_id"], unique=False)
    op.execute(
        "INSERT INTO event_states (event_id, state, was, item_id, at) "
        "SELECT id, state, NULL, NULL, first_seen FROM events"
    )


def downgrade() -> None:
    with op.batch_alter_table("event_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_states_event_id"))
    op.drop_table("event_states")
