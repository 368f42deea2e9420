"""What a retrieval looks for: the customer's latest message and the conversation before it.

"What if I forgot?" means nothing alone; with the turns before it, it names the article. The
earlier turns (the customer's and ours: a bot's answer quotes the article it came from) go
into a second, context query, weighted below the latest message (see `Fusion`).

    query = ConversationQuery.of("what if I forgot?", [Turn("customer", "reset my password"),
                                                        Turn("agent", "Use Forgot password.")])
    query.latest, query.context   # "what if I forgot?", "reset my password\\nUse Forgot ..."
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CUSTOMER, AGENT = "customer", "agent"
# Role prefixes in doc2dial/OR-ShARC style history lines, and author kinds on a ticket.
_ROLES = {
    "user": CUSTOMER,
    "customer": CUSTOMER,
    "contact": CUSTOMER,
    "agent": AGENT,
    "bot": AGENT,
    "system": AGENT,
}


@dataclass(frozen=True)
class Turn:
    role: str  # CUSTOMER or AGENT (a human agent or the bot)
    text: str


@dataclass(frozen=True)
class Fusion:
    """How the conversation and the two searches combine; chosen on half of the dev sets
    (doc2dial dialogues, OR-ShARC documents) and checked on the other half: see
    bench/kb_tune.py and the numbers in its docstring."""

    history_turns: int = 8  # the latest earlier turns that count, both roles
    context_weight: float = 1.2  # dense: query vector = latest + weight * context
    dense_weight: float = 1.0  # reciprocal-rank fusion weights of the lists
    lexical_weight: float = 1.0
    lexical_context_weight: float = 1.0
    rrf_k: int = 20  # reciprocal-rank constant (Cormack et al. 2009): damps each list's head
    context_chars: int = 1500  # MiniLM reads ~256 word pieces: the most recent text wins


DEFAULT_FUSION = Fusion()


def role_of(name: str) -> str:
    return _ROLES.get(name.strip().lower(), CUSTOMER)


def turns_from_lines(lines: Sequence[str]) -> list[Turn]:
    """doc2dial-style history ("user:...", "agent:...", oldest first) as turns."""
    out = []
    for line in lines:
        role, sep, text = line.partition(":")
        if sep and role.strip().lower() in _ROLES:
            out.append(Turn(role_of(role), text.strip()))
        else:
            out.append(Turn(CUSTOMER, line.strip()))
    return [t for t in out if t.text]


@dataclass(frozen=True)
class ConversationQuery:
    latest: str
    context: str  # earlier turns, most recent first, "" for an opening message

    @classmethod
    def of(
        cls, text: str, history: Sequence[Turn] = (), fusion: Fusion = DEFAULT_FUSION
    ) -> ConversationQuery:
        recent = [t.text for t in reversed(history[-fusion.history_turns :]) if t.text.strip()]
        context = "\n".join(recent)[: fusion.context_chars] if fusion.history_turns else ""
        return cls(text.strip(), context)
