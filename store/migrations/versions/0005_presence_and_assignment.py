"""presence and assignment: agent presence, capacities per channel kind, team queues

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import store.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = store.db.UTCDateTime(timezone=True)
# Existing rows get these while the columns are added; the models set them on insert after.
FILLED = {
    ("users", "capacities"): sa.text("'{}'"),
    ("users", "presence"): sa.text("'offline'"),
    ("teams", "capacities"): sa.text("'{}'"),
}


def _add_filled_columns() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "capacities", JSON, nullable=False, server_default=FILLED["users", "capacities"]
            )
        )
        batch_op.add_column(
            sa.Column(
                "presence",
                sa.String(length=10),
                nullable=False,
                server_default=FILLED["users", "presence"],
            )
        )
        for name in ("presence_seen_at", "presence_active_at", "presence_changed_at"):
            batch_op.add_column(sa.Column(name, WHEN, nullable=True))
        batch_op.add_column(sa.Column("last_assigned_at", WHEN, nullable=True))
        # Presence needs a console heartbeat now: everyone starts offline, whatever the old
        # switch said, and is online again as soon as their console connects.
        batch_op.drop_column("online")
        batch_op.create_index("ix_users_presence", ["presence", "presence_seen_at"], unique=False)
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "capacities", JSON, nullable=False, server_default=FILLED["teams", "capacities"]
            )
        )
    for table, column in FILLED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, server_default=None)


def upgrade() -> None:
    _add_filled_columns()
    op.create_table(
        "assignment_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("default_team_id", sa.Integer(), nullable=True),
        sa.Column("capacities", JSON, nullable=False),
        sa.Column("idle_away_minutes", sa.Integer(), nullable=False),
        sa.Column("offline_grace_seconds", sa.Integer(), nullable=False),
        sa.Column("heartbeat_ttl_seconds", sa.Integer(), nullable=False),
        sa.Column("reassign_on_offline", sa.Boolean(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["default_team_id"],
            ["teams.id"],
            name=op.f("fk_assignment_settings_default_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_settings")),
    )
    op.create_table(
        "assignment_queue",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("queued_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_assignment_queue_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_assignment_queue_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_assignment_queue")),
    )
    with op.batch_alter_table("assignment_queue", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assignment_queue_queued_at"), ["queued_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assignment_queue_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("assignment_queue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_queue_team_id"))
        batch_op.drop_index(batch_op.f("ix_assignment_queue_queued_at"))
    op.drop_table("assignment_queue")
    op.drop_table("assignment_settings")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("capacities")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_presence")
        batch_op.add_column(
            sa.Column("online", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        for name in (
            "last_assigned_at",
            "presence_changed_at",
            "presence_active_at",
            "presence_seen_at",
            "presence",
            "capacities",
        ):
            batch_op.drop_column(name)
