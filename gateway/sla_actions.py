"""SLA rules at work: the outbox job on `ticket.sla_breached` / `ticket.sla_warning` that
applies every matching rule's actions (store/assignment/sla_rules.py): raise the priority,
reassign (to a team, or back to the ticket's own team's routing and queue), notify leads (an
email through gateway/outbox/staff_mail.py, and the console event itself). One transaction;
each action leaves its event (`ticket.updated`, `ticket.assigned` / `ticket.queued`), and every
rule that acted one `ticket.sla_escalated` saying what it did. Run twice, it acts once."""

from __future__ import annotations

from sqlalchemy import select

from store.actor import Actor
from store.assignment import rules as routing
from store.assignment import service as assignment
from store.assignment import sla_rules as rules
from store.assignment.sla_rule_schemas import SlaActions
from store.assignment.taking import lock_ticket
from store.db import utcnow
from store.jobs import JobContext
from store.outbox.models import Event
from store.outbox.service import emit
from store.sla.models import SlaRule
from store.tickets import service as tickets
from store.tickets.models import OPEN_CATEGORIES, PRIORITIES
from store.tickets.schemas import TicketUpdate

ESCALATED_EVENT = "ticket.sla_escalated"


def new_priority(current: str, actions: SlaActions) -> str | None:
    """The raised priority, or None when the action leaves it (never lowered)."""
    rank = PRIORITIES.index(current) if current in PRIORITIES else 1
    if actions.raise_priority:
        wanted = PRIORITIES[min(rank + 1, len(PRIORITIES) - 1)]
    elif actions.set_priority:
        wanted = actions.set_priority
    else:
        return None
    return wanted if PRIORITIES.index(wanted) > rank else None


async def _acted_on(session, ticket_id: int, event_id: int) -> bool:
    """Did an earlier run act on this event already? (The job runs at least once.)"""
    rows = await session.scalars(
        select(Event.payload).where(Event.ticket_id == ticket_id, Event.type == ESCALATED_EVENT)
    )
    return any((p or {}).get("source_event_id") == event_id for p in rows)


async def _apply(session, ticket, rule: SlaRule, event: Event, now) -> list[str]:
    actions = SlaActions.model_validate(rule.actions)
    actor = Actor("system", None, f"SLA rule {rule.name}")
    done, changes = [], {}
    if (priority := new_priority(ticket.priority, actions)) is not None:
        changes["priority"] = priority
        done.append(f"priority {ticket.priority} -> {priority}")
    previous = ticket.assignee_id
    if actions.reassign is not None:
        team_id = actions.reassign.team_id or ticket.team_id
        changes |= {"assignee_id": None, "team_id": team_id, "owner": "human"}
    if changes:
        await tickets.update(
            session, ticket_id=ticket.id, changes=TicketUpdate(**changes), actor=actor
        )
    if actions.reassign is not None:
        metric = (event.payload or {}).get("metric", "sla")
        trigger = f"SLA rule {rule.name!r}: {metric} {event.type.rsplit('_', 1)[-1]}"
        outcome = await assignment.route(
            session, ticket, trigger=trigger, actor=actor, now=now, previous_assignee=previous
        )
        done.append("queued" if outcome.queued else f"reassigned to user {outcome.user_id}")
    return done


async def sla_actions(ctx: JobContext, args: dict) -> None:
    now = ctx.extras.get("clock", utcnow)()
    async with ctx.db.uow() as session:
        event = await session.get(Event, args["event_id"])
        ticket = await lock_ticket(session, args["ticket_id"])
        if event is None or ticket is None or ticket.status_category not in OPEN_CATEGORIES:
            return
        if await _acted_on(session, ticket.id, event.id):
            return
        facts = await routing.facts_of_ticket(session, ticket)
        metric = (event.payload or {}).get("metric", "")
        found = await rules.matching(session, event=event.type, metric=metric, facts=facts, now=now)
        for rule in found:
            done = await _apply(session, ticket, rule, event, now)
            notify = SlaActions.model_validate(rule.actions).notify
            emit(
                session,
                ESCALATED_EVENT,
                actor=Actor("system", None, f"SLA rule {rule.name}"),
                ticket_id=ticket.id,
                payload={
                    "rule_id": rule.id,
                    "rule_name": rule.name,
                    "source": event.type,
                    "source_event_id": event.id,
                    "metric": metric,
                    "done": done,
                    "priority": ticket.priority,
                    "team_id": ticket.team_id,
                    "assignee_id": ticket.assignee_id,
                    # a console notification for these users, an email when `email`
                    "notify_user_ids": notify.user_ids if notify else [],
                    "console": bool(notify and notify.console),
                    "email": bool(notify and notify.email),
                },
            )
            facts = facts | {"priority": ticket.priority}
