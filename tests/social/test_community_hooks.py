"""Communities and creators through a customer's merge, unmerge, export and erasure (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import select

from guanxi.customers import hooks, merging
from guanxi.db import transaction
from guanxi.social import communities, creators
from guanxi.social.community_models import CommunityMember, Creator
from guanxi.staff.roles import SYSTEM
from tests.social.test_community import _customer


def test_merge_moves_groups_and_creators_and_unmerge_puts_them_back(client, auth, runtime):
    admin = auth("admin")
    keep, _ = _customer(client, admin)
    dup, _ = _customer(client, admin)
    with transaction(runtime.factory) as s:
        shared, _ = communities.upsert_community(s, platform="wechat", external_id="g1", name="一群", kind="group")
        own, _ = communities.upsert_community(s, platform="wechat", external_id="g2", name="二群", kind="group")
        communities.join(s, shared.id, [keep, dup])
        communities.join(s, own.id, [dup])
        creator, _ = creators.upsert_creator(s, platform="weibo", external_id="k", handle="@k", customer_id=dup)
        ids = shared.id, own.id, creator.id
    with transaction(runtime.factory) as s:
        merge = merging.merge(s, keep, dup, SYSTEM)
    with transaction(runtime.factory) as s:
        assert communities.member_ids(s, ids[0]) == [keep] and communities.member_ids(s, ids[1]) == [keep]
        assert s.get(Creator, ids[2]).customer_id == keep
    with transaction(runtime.factory) as s:
        merging.unmerge(s, merge.id, SYSTEM)
    with transaction(runtime.factory) as s:
        assert communities.member_ids(s, ids[0]) == sorted([keep, dup]) and communities.member_ids(s, ids[1]) == [dup]
        assert s.get(Creator, ids[2]).customer_id == dup


def test_export_and_erasure_of_a_member_and_creator(client, auth, runtime):
    cid, _ = _customer(client, auth("admin"))
    with transaction(runtime.factory) as s:
        group, _ = communities.upsert_community(s, platform="wechat", external_id="g9", name="九群", kind="group")
        communities.join(s, group.id, [cid])
        creators.upsert_creator(s, platform="douyin", external_id="dy-1", handle="@达人", followers=5, customer_id=cid)
    with transaction(runtime.factory) as s:
        data = hooks.exporters["social_communities"](s, cid)
        assert [g["name"] for g in data["communities"]] == ["九群"]
        assert data["creator_accounts"][0]["handle"] == "@达人"
        hooks.erasers["social_communities"](s, cid)
    with transaction(runtime.factory) as s:
        assert s.scalars(select(CommunityMember).where(CommunityMember.customer_id == cid)).all() == []
        row = s.scalar(select(Creator).where(Creator.external_id == "dy-1"))
        assert row.handle == "[erased]" and row.customer_id is None
