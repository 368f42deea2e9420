"""help center (categories, votes, widget article opens), portal links and sessions, ratings

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

import store.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UTC = store.db.UTCDateTime(timezone=True)


def _help_tables() -> None:
    op.create_table(
        "help_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("names", store.db.JSONType, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_categories")),
        sa.UniqueConstraint("slug", name=op.f("uq_help_categories_slug")),
    )
    op.create_table(
        "help_placements",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("translation_of", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name=op.f("fk_help_placements_article_id_kb_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["help_categories.id"],
            name=op.f("fk_help_placements_category_id_help_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["translation_of"],
            ["kb_articles.id"],
            name=op.f("fk_help_placements_translation_of_kb_articles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_help_placements")),
    )
    with op.batch_alter_table("help_placements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_help_placements_category_id"), ["category_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_help_placements_translation_of"), ["translation_of"], unique=False
        )
    op.create_table(
        "help_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("voter", sa.String(length=64), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name=op.f("fk_help_votes_article_id_kb_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_votes")),
        sa.UniqueConstraint("article_id", "voter", name=op.f("uq_help_votes_article_id")),
    )
    with op.batch_alter_table("help_votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_help_votes_article_id"), ["article_id"], unique=False)
    op.create_table(
        "help_article_opens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("conversation", sa.String(length=100), nullable=False),
        sa.Column("opened_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name=op.f("fk_help_article_opens_article_id_kb_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_article_opens")),
    )
    with op.batch_alter_table("help_article_opens", schema=None) as batch_op:
        for column in ("article_id", "conversation", "opened_at"):
            batch_op.create_index(
                batch_op.f(f"ix_help_article_opens_{column}"), [column], unique=False
            )


def _portal_tables() -> None:
    op.create_table(
        "portal_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_links")),
        sa.UniqueConstraint("digest", name=op.f("uq_portal_links_digest")),
    )
    with op.batch_alter_table("portal_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_links_email"), ["email"], unique=False)
    op.create_table(
        "portal_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("emails", store.db.JSONType, nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_sessions")),
    )
    op.create_table(
        "ticket_ratings",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_ratings_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_ratings")),
    )


def upgrade() -> None:
    _help_tables()
    _portal_tables()


def downgrade() -> None:
    op.drop_table("ticket_ratings")
    op.drop_table("portal_sessions")
    with op.batch_alter_table("portal_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_links_email"))
    op.drop_table("portal_links")
    with op.batch_alter_table("help_article_opens", schema=None) as batch_op:
        for column in ("opened_at", "conversation", "article_id"):
            batch_op.drop_index(batch_op.f(f"ix_help_article_opens_{column}"))
    op.drop_table("help_article_opens")
    with op.batch_alter_table("help_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_help_votes_article_id"))
    op.drop_table("help_votes")
    with op.batch_alter_table("help_placements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_help_placements_translation_of"))
        batch_op.drop_index(batch_op.f("ix_help_placements_category_id"))
    op.drop_table("help_placements")
    op.drop_table("help_categories")
