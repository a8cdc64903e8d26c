"""Who answers a new conversation: values in, values out.

Order of preference:
1. a VIP customer's dedicated agent (专属客服), when online and below the cap;
2. otherwise round-robin among online agents below their cap who have the skill the
   conversation needs ("*" is every skill): the lightest load first, then whoever has waited
   longest since their last assignment (never assigned counts as longest), then the lowest id;
   for a VIP, agents with the "vip" skill come before the others;
3. nobody: the conversation waits in the queue (an away agent or a full one takes no new chats).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

ANY_SKILL = "*"
VIP_SKILL = "vip"


class AgentStatus(StrEnum):
    online = "online"
    away = "away"
    offline = "offline"


@dataclass(frozen=True)
class AgentState:
    id: int
    status: str
    skills: frozenset[str]
    load: int                       # open conversations assigned now
    cap: int                        # concurrent conversations at most
    last_assigned_at: dt.datetime | None = None

    def takes_new(self) -> bool:
        return self.status == AgentStatus.online and self.load < self.cap

    def has(self, skill: str | None) -> bool:
        return skill is None or ANY_SKILL in self.skills or skill in self.skills


@dataclass(frozen=True)
class Need:
    skill: str | None = None        # the conversation's type or channel, e.g. "after_sales"
    vip: bool = False
    dedicated_agent_id: int | None = None


@dataclass(frozen=True)
class Choice:
    agent_id: int | None
    reason: str                     # dedicated | round_robin | queued


_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


def choose(agents: Iterable[AgentState], need: Need) -> Choice:
    agents = list(agents)
    if need.dedicated_agent_id is not None:
        mine = next((a for a in agents if a.id == need.dedicated_agent_id), None)
        if mine is not None and mine.takes_new():
            return Choice(mine.id, "dedicated")
    able = [a for a in agents if a.takes_new() and a.has(need.skill)]
    if not able:
        return Choice(None, "queued")

    def rank(a: AgentState):
        vip_first = 0 if (need.vip and VIP_SKILL in a.skills) else 1
        return (vip_first, a.load, a.last_assigned_at or _NEVER, a.id)

    return Choice(min(able, key=rank).id, "round_robin")
