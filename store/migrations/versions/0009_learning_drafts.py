"""learning drafts: what the scrubber replaced in a learned example, and who reviewed it;
the triage of each ticket's newest inbound message

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import store.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("resolution_examples", schema=None) as batch_op:
        batch_op.add_column(sa.Column("redactions", JSON, nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("reviewed_by", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("reviewed_at", store.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("resolution_examples", schema=None) as batch_op:
        batch_op.alter_column("redactions", server_default=None)
    op.create_table(
        "ticket_triage",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("intent", sa.String(length=200), nullable=True),
        sa.Column("confidence", sa.Double(), nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("sentiment", sa.Double(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=True),
        sa.Column("updated_at", store.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_triage_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_triage")),
    )


def downgrade() -> None:
    op.drop_table("ticket_triage")
    with op.batch_alter_table("resolution_examples", schema=None) as batch_op:
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("reviewed_by")
        batch_op.drop_column("redactions")
