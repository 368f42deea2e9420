"""Every table, imported once so Alembic and create_all see the whole schema."""

from store.agent.models import (
    AgentTool,
    BotSettings,
    EscalationRule,
    GraphBlob,
    GraphCheckpoint,
    GraphWrite,
    RoutingRule,
)
from store.agent.triage import TicketTriage
from store.assignment.models import AssignmentSettings, QueuedTicket
from store.config.models import ChannelAccount, FieldDefinition, Macro, WorkflowStatus
from store.console.models import SavedView
from store.contacts.models import Contact, ContactIdentity
from store.db import Base
from store.knowledge.help import HelpArticleOpen, HelpCategory, HelpPlacement, HelpVote
from store.knowledge.models import Article, Chunk, ResolutionExample, Revision
from store.outbox.models import Delivery, Event, Webhook
from store.portal.models import PortalLink, PortalSession, TicketRating
from store.sla.models import (
    BusinessHours,
    ChannelHours,
    OutOfHoursReply,
    SlaClock,
    SlaPolicy,
)
from store.staff.models import ApiKey, Team, User, team_members
from store.staff.session_models import StaffSession, ThrottleHit
from store.tickets.models import Attachment, Message, Note, Ticket, TicketTag

__all__ = [
    "AgentTool",
    "BotSettings",
    "EscalationRule",
    "GraphBlob",
    "GraphCheckpoint",
    "GraphWrite",
    "RoutingRule",
    "TicketTriage",
    "ApiKey",
    "AssignmentSettings",
    "QueuedTicket",
    "Article",
    "Chunk",
    "ResolutionExample",
    "Revision",
    "Attachment",
    "Base",
    "BusinessHours",
    "ChannelHours",
    "OutOfHoursReply",
    "SlaClock",
    "SlaPolicy",
    "ChannelAccount",
    "Contact",
    "ContactIdentity",
    "Delivery",
    "Event",
    "FieldDefinition",
    "Macro",
    "Message",
    "Note",
    "SavedView",
    "StaffSession",
    "Team",
    "Ticket",
    "ThrottleHit",
    "TicketTag",
    "User",
    "Webhook",
    "WorkflowStatus",
    "HelpArticleOpen",
    "HelpCategory",
    "HelpPlacement",
    "HelpVote",
    "PortalLink",
    "PortalSession",
    "TicketRating",
    "team_members",
]
