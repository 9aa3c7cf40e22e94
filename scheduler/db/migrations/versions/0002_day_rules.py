"""per-day venue hours, per-venue gap between visits, per-day truck shifts

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_EMPTY = sa.text("'[]'")
"""Rows stored before this revision have no day rules."""


def upgrade() -> None:
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("day_hours", _JSON, nullable=False, server_default=_EMPTY))
        batch_op.add_column(sa.Column("min_gap_days", sa.Integer(), nullable=True))
    with op.batch_alter_table("trucks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("day_shifts", _JSON, nullable=False, server_default=_EMPTY))


def downgrade() -> None:
    with op.batch_alter_table("trucks", schema=None) as batch_op:
        batch_op.drop_column("day_shifts")
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.drop_column("min_gap_days")
        batch_op.drop_column("day_hours")
