"""bulk_insert: rows written through the driver read back as the ORM writes them, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from guanxi.analytics.models import SavedSegment, SegmentChange
from guanxi.customers.models import Customer
from guanxi.db import bulk_insert, transaction

NOW = dt.datetime(2026, 6, 2, 8, 30, 15, 123456, tzinfo=dt.UTC)


def test_shared_and_per_row_values_read_back_like_orm_rows(runtime):
    with transaction(runtime.factory) as session:
        n = bulk_insert(session, Customer.__table__, {"id": [11, 12, 13], "city": ["上海", None, "北京"]},
                        {"status": "active", "locale": "zh-CN", "timezone": "Asia/Shanghai", "tags": ["vip"],
                         "attributes": {"tier": "gold"}, "preferences": {}, "created_at": NOW, "updated_at": NOW})
        assert n == 3
        segment = SavedSegment(name="s", rule={"field": "orders", "op": ">=", "value": 1}, created_by="t")
        session.add(segment)
        session.flush()
        session.add(SegmentChange(segment_id=segment.id, customer_id=11, kind="left", cause="live", at=NOW))
        bulk_insert(session, SegmentChange.__table__, {"customer_id": [12, 13], "kind": ["entered", "entered"]},
                    {"segment_id": segment.id, "cause": "rebuild", "at": NOW})
    with runtime.factory() as session:
        rows = session.scalars(select(Customer).order_by(Customer.id)).all()
        assert [(c.id, c.city, c.tags, c.attributes, c.created_at) for c in rows] == [
            (11, "上海", ["vip"], {"tier": "gold"}, NOW), (12, None, ["vip"], {"tier": "gold"}, NOW),
            (13, "北京", ["vip"], {"tier": "gold"}, NOW)]
        # The ORM row and the bulk rows compare alike in SQL (same stored form of the timestamp).
        assert session.scalars(select(SegmentChange.customer_id).where(SegmentChange.at >= NOW)
                               .order_by(SegmentChange.customer_id)).all() == [11, 12, 13]
        assert session.scalars(select(SegmentChange.customer_id).where(SegmentChange.at > NOW)).all() == []


def test_nothing_to_write_and_uneven_columns(runtime):
    with transaction(runtime.factory) as session:
        assert bulk_insert(session, Customer.__table__, {"id": []}, {"status": "active"}) == 0
        with pytest.raises(ValueError, match="different lengths"):
            bulk_insert(session, Customer.__table__, {"id": [1, 2], "city": ["x"]})
