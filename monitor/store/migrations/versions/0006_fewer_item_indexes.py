"""fewer index writes per stored item

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 23:00:00

``ix_items_fetched`` becomes ``ix_items_unclassified`` (only items not classified yet:
what the retry of unprocessed items looks for) and ``ix_items_story_id`` holds only items
in a story. ``ix_classifications_item_id`` repeats the leading column of the unique
(item_id, event_type) index, and no query looks classifications up by type alone
(``ix_classifications_event_type``): both go.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNCLASSIFIED = sa.text("classified IS NULL")
IN_A_STORY = sa.text("story_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_classifications_item_id", table_name="classifications")
    op.drop_index("ix_classifications_event_type", table_name="classifications")
    op.drop_index("ix_items_fetched", table_name="items")
    op.create_index("ix_items_unclassified", "items", ["fetched"],
                    sqlite_where=UNCLASSIFIED, postgresql_where=UNCLASSIFIED)  # fmt: skip
    op.drop_index("ix_items_story_id", table_name="items")
    op.create_index("ix_items_story_id", "items", ["story_id"],
                    sqlite_where=IN_A_STORY, postgresql_where=IN_A_STORY)  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_items_story_id", table_name="items")
    op.create_index("ix_items_story_id", "items", ["story_id"])
    op.drop_index("ix_items_unclassified", table_name="items")
    op.create_index("ix_items_fetched", "items", ["fetched"])
    op.create_index("ix_classifications_event_type", "classifications", ["event_type"])
    op.create_index("ix_classifications_item_id", "classifications", ["item_id"])
