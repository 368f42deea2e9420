"""agent graph: bot settings, escalation and routing rules, tools, graph checkpoints

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import store.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_checkpoint_blobs",
        sa.Column("thread_id", sa.String(length=100), nullable=False),
        sa.Column("checkpoint_ns", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint(
            "thread_id",
            "checkpoint_ns",
            "channel",
            "version",
            name=op.f("pk_agent_checkpoint_blobs"),
        ),
    )
    op.create_table(
        "agent_checkpoint_writes",
        sa.Column("thread_id", sa.String(length=100), nullable=False),
        sa.Column("checkpoint_ns", sa.String(length=200), nullable=False),
        sa.Column("checkpoint_id", sa.String(length=100), nullable=False),
        sa.Column("task_id", sa.String(length=100), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("task_path", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint(
            "thread_id",
            "checkpoint_ns",
            "checkpoint_id",
            "task_id",
            "idx",
            name=op.f("pk_agent_checkpoint_writes"),
        ),
    )
    with op.batch_alter_table("agent_checkpoint_writes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agent_checkpoint_writes_cp",
            ["thread_id", "checkpoint_ns", "checkpoint_id"],
            unique=False,
        )

    op.create_table(
        "agent_checkpoints",
        sa.Column("thread_id", sa.String(length=100), nullable=False),
        sa.Column("checkpoint_ns", sa.String(length=200), nullable=False),
        sa.Column("checkpoint_id", sa.String(length=100), nullable=False),
        sa.Column("parent_checkpoint_id", sa.String(length=100), nullable=True),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("checkpoint", sa.LargeBinary(), nullable=False),
        sa.Column("metadata_type", sa.String(length=30), nullable=False),
        sa.Column("metadata_blob", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", store.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "thread_id", "checkpoint_ns", "checkpoint_id", name=op.f("pk_agent_checkpoints")
        ),
    )
    op.create_table(
        "agent_escalation_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "conditions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("created_at", store.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_escalation_rules")),
    )
    op.create_table(
        "agent_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("llm_base_url", sa.String(length=500), nullable=True),
        sa.Column("llm_model", sa.String(length=200), nullable=True),
        sa.Column("llm_api_key", sa.String(length=500), nullable=True),
        sa.Column("llm_timeout", sa.Double(), nullable=False),
        sa.Column("llm_retries", sa.Integer(), nullable=False),
        sa.Column(
            "thresholds",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("review_mode", sa.String(length=10), nullable=False),
        sa.Column("max_bot_turns", sa.Integer(), nullable=False),
        sa.Column("handoff_message", sa.Text(), nullable=False),
        sa.Column(
            "tool_hosts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", store.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_settings")),
    )
    op.create_table(
        "agent_tools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("method", sa.String(length=6), nullable=False),
        sa.Column("url_template", sa.String(length=1000), nullable=False),
        sa.Column("secret_header", sa.String(length=100), nullable=True),
        sa.Column("secret_value", sa.String(length=1000), nullable=True),
        sa.Column("timeout", sa.Double(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", store.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_tools")),
        sa.UniqueConstraint("name", name=op.f("uq_agent_tools_name")),
    )
    op.create_table(
        "agent_routing_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "conditions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("created_at", store.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_agent_routing_rules_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_routing_rules")),
    )
    with op.batch_alter_table("agent_routing_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agent_routing_rules_team_id"), ["team_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("agent_routing_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_routing_rules_team_id"))

    op.drop_table("agent_routing_rules")
    op.drop_table("agent_tools")
    op.drop_table("agent_settings")
    op.drop_table("agent_escalation_rules")
    op.drop_table("agent_checkpoints")
    with op.batch_alter_table("agent_checkpoint_writes", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_checkpoint_writes_cp")

    op.drop_table("agent_checkpoint_writes")
    op.drop_table("agent_checkpoint_blobs")
