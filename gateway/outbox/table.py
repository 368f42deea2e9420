"""Which event starts which job: the whole table, declared in one place.

A job is a plain async function `(ctx, args)` (store.jobs) written where its domain lives; an
event's payload, with `event_id` and `ticket_id`, becomes its args. The names are stored on
delivery rows, so a renamed job keeps its name here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from agent_graph import job as agent
from channels.slack import jobs as slack
from channels.twilio import jobs as twilio
from gateway import out_of_hours, sla_actions, sla_jobs
from gateway.outbox import send, staff_mail
from store.agent.service import bot_enabled
from store.assignment import alerts
from store.assignment import jobs as assignment
from store.assignment.sla_rules import EVENTS as SLA_EVENTS
from store.assignment.sla_rules import any_rule
from store.jobs import GaveUpFn, JobContext, JobFn
from store.sla.business_hours import any_auto_reply
from store.sla.clocks import CHECK_JOB
from store.sla.policies import any_policy

Wanted = Callable[[Any], Awaitable[bool]]  # (the fan-out's session) -> start it now?


@dataclass(frozen=True)
class Job:
    run: JobFn
    on: tuple[str, ...]  # event types that start it
    channels: frozenset[str] = frozenset()  # only for events of these channels (empty: all)
    when: Wanted | None = None  # asked once per fan-out pass; while it says no, no delivery
    on_dead: GaveUpFn | None = None  # once, when the last attempt failed (show it to people)


JOBS: dict[str, Job] = {
    "send_message": Job(send.send_message, on=("message.queued",), on_dead=send.gave_up),
    # While the bot is off, messages start no turn at all (the turn checks again when it runs).
    "agent_turn": Job(agent.agent_turn, on=("message.received",), when=bot_enabled),
    # Triage and a suggested reply for the human, whoever owns the ticket and bot on or off.
    "agent_assist": Job(agent.agent_assist, on=("message.received",)),
    "agent_review": Job(agent.agent_review, on=(agent.REVIEW_EVENT,)),
    "agent_learn": Job(agent.agent_learn, on=("ticket.updated",)),
    "twilio_fetch_media": Job(
        twilio.fetch_mms_media, on=(twilio.MEDIA_EVENT,), on_dead=twilio.media_gave_up
    ),
    "twilio_transcribe": Job(
        twilio.transcribe_recording,
        on=(twilio.RECORDING_EVENT,),
        on_dead=twilio.transcription_gave_up,
    ),
    "slack_enrich_message": Job(
        slack.enrich_message, on=("message.received",), channels=frozenset({slack.NAME})
    ),
    # Assignment: whatever makes a ticket need a human routes it; whatever frees an agent
    # fills them from the queues (store/assignment/jobs.py). The bot escalates in its turn.
    "assign_unanswered": Job(
        assignment.assign_unanswered, on=("message.received",), when=assignment.bot_off
    ),
    "assign_created": Job(assignment.assign_created, on=("ticket.created",)),
    "assign_on_ticket_change": Job(assignment.on_ticket_updated, on=("ticket.updated",)),
    "assign_on_presence": Job(assignment.on_presence_changed, on=("user.presence_changed",)),
    # SLA clocks follow every event that moves them (only while some policy exists); the
    # clocks schedule their own checks at warning and due times as deliveries of CHECK_JOB.
    "sla_clock": Job(
        sla_jobs.sla_clock,
        on=("ticket.created", "ticket.updated", "message.received", "message.queued"),
        when=any_policy,
    ),
    CHECK_JOB: Job(sla_jobs.sla_clock, on=()),
    "out_of_hours_reply": Job(
        out_of_hours.out_of_hours_reply, on=("message.received",), when=any_auto_reply
    ),
    # Unseen-wait alerts: each wait (assigned and not opened; queued and not taken) schedules
    # one check at its due time (store/assignment/alerts.py); the check writes the alert.
    "unseen_alert_schedule": Job(alerts.schedule_check, on=("ticket.assigned", "ticket.queued")),
    alerts.CHECK_JOB: Job(alerts.check, on=()),
    # SLA rules act on warnings and breaches (raise priority, reassign, notify a lead).
    "sla_actions": Job(sla_actions.sla_actions, on=SLA_EVENTS, when=any_rule),
    # Staff email: the alert's and the SLA rule's "notify" (through the support mailbox).
    "notify_staff": Job(
        staff_mail.notify_staff, on=(alerts.ALERT_EVENT, sla_actions.ESCALATED_EVENT)
    ),
}
_BY_EVENT: dict[str, list[str]] = {}
for _name, _job in JOBS.items():
    for _type in _job.on:
        _BY_EVENT.setdefault(_type, []).append(_name)


def triggered_by(event_type: str, payload: dict[str, Any] | None = None) -> list[str]:
    """Jobs an event of this type starts; with its payload, only those its channel wants."""
    names = _BY_EVENT.get(event_type, ())
    if payload is None:
        return list(names)
    channel = payload.get("channel")
    return [n for n in names if not JOBS[n].channels or channel in JOBS[n].channels]


async def wanted(name: str, session) -> bool:
    """Is the job wanted now (see `Job.when`)? Jobs without a condition always are."""
    when = JOBS[name].when
    return when is None or await when(session)


async def run(name: str, ctx: JobContext, args: dict[str, Any]) -> None:
    if name not in JOBS:
        raise LookupError(f"no job named {name!r} is declared")
    await JOBS[name].run(ctx, args)


async def gave_up(name: str, ctx: JobContext, args: dict[str, Any], error: str) -> None:
    on_dead = JOBS[name].on_dead if name in JOBS else None
    if on_dead is not None:
        await on_dead(ctx, args, error)
