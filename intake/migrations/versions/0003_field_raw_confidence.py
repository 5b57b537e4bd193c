"""field_values.raw_confidence: the reader's own score, for re-scoring after review edits

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 17:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("field_values", schema=None) as batch_op:
        batch_op.add_column(sa.Column("raw_confidence", sa.Numeric(precision=5, scale=4, asdecimal=False), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("field_values", schema=None) as batch_op:
        batch_op.drop_column("raw_confidence")
