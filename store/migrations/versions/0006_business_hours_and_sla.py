"""business hours and SLA policies: team schedules and holidays, SLA targets, ticket clocks

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import store.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = store.db.UTCDateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _hours_tables() -> None:
    op.create_table(
        "business_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("week", JSON, nullable=False),
        sa.Column("holiday_country", sa.String(length=10), nullable=True),
        sa.Column("holiday_subdivision", sa.String(length=10), nullable=True),
        sa.Column("closed_dates", JSON, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        _fk("business_hours", "team_id", "teams", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_hours")),
        sa.UniqueConstraint("team_id", name=op.f("uq_business_hours_team_id")),
    )
    op.create_table(
        "channel_hours",
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("auto_reply", sa.Boolean(), nullable=False),
        sa.Column("messages", JSON, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        _fk("channel_hours", "team_id", "teams", "SET NULL"),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_channel_hours")),
    )
    op.create_table(
        "out_of_hours_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        _fk("out_of_hours_replies", "ticket_id", "tickets", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_out_of_hours_replies")),
        sa.UniqueConstraint("ticket_id", "period", name=op.f("uq_out_of_hours_replies_ticket_id")),
    )
    with op.batch_alter_table("out_of_hours_replies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_out_of_hours_replies_message_id"), ["message_id"], unique=False
        )


def _sla_tables() -> None:
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("scope", sa.String(length=60), nullable=False),
        sa.Column("targets", JSON, nullable=False),
        sa.Column("warn_percent", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        _fk("sla_policies", "team_id", "teams", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
        sa.UniqueConstraint("scope", name=op.f("uq_sla_policies_scope")),
    )
    op.create_table(
        "sla_clocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("target_seconds", sa.Integer(), nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        *[sa.Column(name, WHEN, nullable=True) for name in ("due_at", "warn_at", "met_at")],
        sa.Column("remaining_seconds", sa.Integer(), nullable=True),
        *[
            sa.Column(name, WHEN, nullable=True)
            for name in ("breached_at", "warned_at", "scheduled_at")
        ],
        sa.Column("updated_at", WHEN, nullable=False),
        _fk("sla_clocks", "policy_id", "sla_policies", "SET NULL"),
        _fk("sla_clocks", "ticket_id", "tickets", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_clocks")),
        sa.UniqueConstraint("ticket_id", "metric", name=op.f("uq_sla_clocks_ticket_id")),
    )
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.create_index("ix_sla_clocks_due", ["state", "due_at"], unique=False)


def upgrade() -> None:
    _hours_tables()
    _sla_tables()


def downgrade() -> None:
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.drop_index("ix_sla_clocks_due")
    op.drop_table("sla_clocks")
    op.drop_table("sla_policies")
    with op.batch_alter_table("out_of_hours_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_out_of_hours_replies_message_id"))
    op.drop_table("out_of_hours_replies")
    op.drop_table("channel_hours")
    op.drop_table("business_hours")
