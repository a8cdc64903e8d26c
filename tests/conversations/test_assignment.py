"""The assignment rule: dedicated agent first for VIPs, round-robin by skill and load, caps, away."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, strategies as st

from guanxi.conversations.assignment import AgentState, Need, choose

T0 = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)


def agent(id, status="online", skills=("*",), load=0, cap=5, last=None):
    return AgentState(id, status, frozenset(skills), load, cap, last)


def test_vip_goes_to_dedicated_agent_even_when_busier():
    agents = [agent(1, load=0), agent(2, load=3)]
    assert choose(agents, Need(vip=True, dedicated_agent_id=2)) == choose(agents, Need(dedicated_agent_id=2))
    assert choose(agents, Need(vip=True, dedicated_agent_id=2)).agent_id == 2
    assert choose(agents, Need(vip=True, dedicated_agent_id=2)).reason == "dedicated"


def test_dedicated_agent_away_or_full_falls_back_to_vip_skilled_agents():
    agents = [agent(1, load=0), agent(2, status="away"), agent(3, skills=("vip",), load=2)]
    assert choose(agents, Need(vip=True, dedicated_agent_id=2)).agent_id == 3
    full = [agent(1), agent(2, load=5, cap=5)]
    assert choose(full, Need(vip=True, dedicated_agent_id=2)) .agent_id == 1


def test_round_robin_prefers_lightest_load_then_longest_waiting():
    agents = [agent(1, load=2), agent(2, load=1, last=T0), agent(3, load=1, last=T0 - dt.timedelta(minutes=5))]
    assert choose(agents, Need()).agent_id == 3
    agents = [agent(1, load=1, last=T0), agent(2, load=1, last=None)]
    assert choose(agents, Need()).agent_id == 2


def test_skill_is_required_unless_agent_has_every_skill():
    agents = [agent(1, skills=("pre_sales",)), agent(2, skills=("after_sales",), load=3)]
    assert choose(agents, Need(skill="after_sales")).agent_id == 2
    assert choose(agents, Need(skill="complaint")).agent_id is None


def test_away_offline_and_full_agents_take_nothing_and_the_chat_queues():
    agents = [agent(1, status="away"), agent(2, status="offline"), agent(3, load=4, cap=4)]
    choice = choose(agents, Need())
    assert choice.agent_id is None and choice.reason == "queued"


def test_rotation_spreads_chats_over_equal_agents():
    loads = {1: 0, 2: 0, 3: 0}
    last: dict[int, dt.datetime | None] = {1: None, 2: None, 3: None}
    picks = []
    for i in range(6):
        c = choose([agent(a, load=loads[a], last=last[a]) for a in loads], Need())
        picks.append(c.agent_id)
        loads[c.agent_id] += 1
        last[c.agent_id] = T0 + dt.timedelta(seconds=i)
    assert picks == [1, 2, 3, 1, 2, 3]


agents_st = st.lists(st.tuples(st.sampled_from(["online", "away", "offline"]),
                               st.sets(st.sampled_from(["*", "vip", "pre_sales", "complaint"])),
                               st.integers(0, 6), st.integers(1, 5)), max_size=8).map(
    lambda rows: [agent(i + 1, status=s, skills=sk, load=load, cap=cap) for i, (s, sk, load, cap) in enumerate(rows)])


@given(agents_st, st.sampled_from([None, "pre_sales", "complaint"]), st.booleans(), st.none() | st.integers(1, 10))
def test_never_over_cap_never_away_always_skilled(agents, skill, vip, dedicated):
    choice = choose(agents, Need(skill=skill, vip=vip, dedicated_agent_id=dedicated))
    if choice.agent_id is None:
        assert not any(a.takes_new() and a.has(skill) for a in agents)
        return
    picked = next(a for a in agents if a.id == choice.agent_id)
    assert picked.status == "online" and picked.load < picked.cap
    if choice.reason == "round_robin":
        assert picked.has(skill)
    else:
        assert picked.id == dedicated
