"""alerts and SLA actions: ticket views (seen), queue waits (the widget's estimate), unseen-wait
alerts sent, the unseen-alert setting, SLA escalation rules

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import store.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = store.db.UTCDateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _assignment_tables() -> None:
    with op.batch_alter_table("assignment_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unseen_alert_minutes", sa.Integer(), nullable=False, server_default="10")
        )
    with op.batch_alter_table("assignment_settings", schema=None) as batch_op:
        batch_op.alter_column("unseen_alert_minutes", server_default=None)  # the model's, after
    op.create_table(
        "ticket_views",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", WHEN, nullable=False),
        _fk("ticket_views", "ticket_id", "tickets", "CASCADE"),
        _fk("ticket_views", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("ticket_id", "user_id", name=op.f("pk_ticket_views")),
    )
    op.create_table(
        "queue_waits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("queued_at", WHEN, nullable=False),
        sa.Column("assigned_at", WHEN, nullable=False),
        sa.Column("wait_seconds", sa.Integer(), nullable=False),
        _fk("queue_waits", "ticket_id", "tickets", "CASCADE"),
        _fk("queue_waits", "team_id", "teams", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_waits")),
    )
    with op.batch_alter_table("queue_waits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_queue_waits_team_assigned", ["team_id", "assigned_at"], unique=False
        )
    op.create_table(
        "wait_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("wait", sa.String(length=40), nullable=False),
        sa.Column("user_ids", JSON, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        _fk("wait_alerts", "ticket_id", "tickets", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wait_alerts")),
        sa.UniqueConstraint("ticket_id", "wait", name=op.f("uq_wait_alerts_ticket_id")),
    )


def _sla_rules() -> None:
    op.create_table(
        "sla_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=30), nullable=False),
        sa.Column("metrics", JSON, nullable=False),
        sa.Column("conditions", JSON, nullable=False),
        sa.Column("actions", JSON, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_rules")),
    )


def upgrade() -> None:
    _assignment_tables()
    _sla_rules()


def downgrade() -> None:
    op.drop_table("sla_rules")
    op.drop_table("wait_alerts")
    with op.batch_alter_table("queue_waits", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_waits_team_assigned")
    op.drop_table("queue_waits")
    op.drop_table("ticket_views")
    with op.batch_alter_table("assignment_settings", schema=None) as batch_op:
        batch_op.drop_column("unseen_alert_minutes")
