"""server-side sessions and login throttling

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

import store.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", store.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", store.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", store.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", store.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "throttle_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=100), nullable=False),
        sa.Column("at", store.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_throttle_hits")),
    )
    with op.batch_alter_table("throttle_hits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_throttle_hits_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_throttle_hits_bucket"), ["bucket"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("throttle_hits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_throttle_hits_bucket"))
        batch_op.drop_index(batch_op.f("ix_throttle_hits_at"))
    op.drop_table("throttle_hits")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_user_id"))
    op.drop_table("sessions")
