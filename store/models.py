"""Every table, imported once so Alembic and create_all see the whole schema."""

from store.config.models import ChannelAccount, FieldDefinition, Macro, WorkflowStatus
from store.contacts.models import Contact, ContactIdentity
from store.db import Base
from store.outbox.models import Delivery, Event, Webhook
from store.staff.models import ApiKey, Team, User, team_members
from store.tickets.models import Attachment, Message, Note, Ticket, TicketTag

__all__ = [
    "ApiKey",
    "Attachment",
    "Base",
    "ChannelAccount",
    "Contact",
    "ContactIdentity",
    "Delivery",
    "Event",
    "FieldDefinition",
    "Macro",
    "Message",
    "Note",
    "Team",
    "Ticket",
    "TicketTag",
    "User",
    "Webhook",
    "WorkflowStatus",
    "team_members",
]
