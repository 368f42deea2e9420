"""Readiness for load balancers: 200 while this replica can reach its database, else 503."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select

from gateway.errors import PROBLEM, problem

router = APIRouter(tags=["meta"])
CHECK_TIMEOUT = 2.0  # a balancer's check must answer before its own timeout


class Readiness(BaseModel):
    ok: bool
    database: bool
    # Redis is not a reason to leave the pool: the dispatcher runs deliveries itself meanwhile.
    redis: bool | None


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"description": "the database does not answer", "content": {PROBLEM: {}}}},
)
async def readyz(request: Request):
    """Ready when the database answers a trivial query within two seconds."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT), request.app.state.db.read() as session:
            await session.scalar(select(1))
    except Exception:  # any failure to reach it: take this replica out of the pool
        return problem(503, "Not ready", "the database does not answer")
    dispatcher = request.app.state.dispatcher
    redis = None if dispatcher.rq_queue is None else not dispatcher.redis_lost
    return JSONResponse(Readiness(ok=True, database=True, redis=redis).model_dump())
