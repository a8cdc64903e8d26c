"""Segment rules: validation, and SQL evaluation equal to a brute-force Python evaluation (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, create_engine, insert, select

from guanxi.analytics import segment_rules
from guanxi.analytics.rfm import SEGMENTS
from guanxi.errors import Invalid

SEGMENT_VALUES = [s.value for s in SEGMENTS]
meta = MetaData()
people = Table("people", meta, Column("id", Integer, primary_key=True), Column("segment", String),
               Column("clv", Integer), Column("p_alive", Float), Column("city", String))
COLUMNS = {"segment": people.c.segment, "clv": people.c.clv, "p_alive": people.c.p_alive, "city": people.c.city}
engine = create_engine("sqlite://")
meta.create_all(engine)

rows = st.lists(st.fixed_dictionaries({
    "segment": st.none() | st.sampled_from(SEGMENT_VALUES),
    "clv": st.none() | st.integers(-5, 5),
    "p_alive": st.none() | st.sampled_from([0.0, 0.25, 0.5, 1.0]),
    "city": st.none() | st.sampled_from(["北京", "上海"]),
}), max_size=25)

conditions = st.one_of(
    st.builds(lambda op, v: {"field": "segment", "op": op, "value": v}, st.sampled_from(["=", "!="]),
              st.sampled_from(SEGMENT_VALUES)),
    st.builds(lambda op, v: {"field": "segment", "op": op, "value": v}, st.sampled_from(["in", "not_in"]),
              st.lists(st.sampled_from(SEGMENT_VALUES), min_size=1, max_size=3)),
    st.builds(lambda op, v: {"field": "clv", "op": op, "value": v},
              st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), st.integers(-5, 5)),
    st.builds(lambda op, v: {"field": "p_alive", "op": op, "value": v},
              st.sampled_from(["<", ">=", "in"]).flatmap(lambda o: st.just(o)), st.sampled_from([0.25, 0.5]))
    .map(lambda c: {**c, "value": [c["value"]]} if c["op"] == "in" else c),
    st.builds(lambda op, v: {"field": "city", "op": op, "value": v}, st.sampled_from(["=", "!="]),
              st.sampled_from(["北京", "上海"])),
)
rules = st.recursive(conditions, lambda inner: st.builds(
    lambda kind, items: {kind: items}, st.sampled_from(["all", "any"]), st.lists(inner, min_size=1, max_size=3)),
    max_leaves=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows, rules)
def test_sql_agrees_with_brute_force(data, rule):
    parsed = segment_rules.parse(rule)
    with engine.begin() as conn:
        conn.execute(people.delete())
        if data:
            conn.execute(insert(people), [{"id": i + 1, **row} for i, row in enumerate(data)])
        found = set(conn.scalars(select(people.c.id).where(segment_rules.to_sql(parsed, COLUMNS))))
    expected = {i + 1 for i, row in enumerate(data) if segment_rules.matches(parsed, row)}
    assert found == expected


@pytest.mark.parametrize("rule, message", [
    ({"field": "segment", "op": "=", "value": "vip"}, "not a segment"),
    ({"field": "clv", "op": ">=", "value": "1000"}, "numbers"),
    ({"field": "clv", "op": ">=", "value": True}, "numbers"),
    ({"field": "city", "op": ">", "value": "A"}, "operators"),
    ({"field": "email", "op": "=", "value": "x"}, "unknown field"),
    ({"all": []}, "at least one"),
    ({"all": [{"field": "clv", "op": "in", "value": []}]}, "list of 1"),
    ({"field": "clv", "op": ">", "value": 1, "extra": 1}, "exactly"),
    ({"all": [{"any": [{"all": [{"any": [{"all": [{"any": [{"field": "clv", "op": ">", "value": 1}]}]}]}]}]}]},
     "nest"),
    ([1, 2], "object"),
])
def test_bad_rules_are_refused_with_the_place(rule, message):
    with pytest.raises(Invalid) as err:
        segment_rules.parse(rule)
    assert message in err.value.detail
    assert err.value.errors and err.value.errors[0]["loc"][0] == "rule"
