"""Pages of live sessions, communities and creators, in English and Chinese, whole and as HTMX fragments."""

from __future__ import annotations

import datetime as dt

from guanxi.db import transaction
from guanxi.social import communities, creators, livestreams
from tests.social.test_community import _customer, _order
from tests.social.test_pages import _signed_in
from tests.web.forms import csrf_of, post_form

START = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
HTMX = {"HX-Request": "true"}


def test_live_and_creator_pages_show_the_figures_in_both_languages(client, auth, runtime):
    admin = auth("admin")
    kol, email = _customer(client, admin)
    _order(client, admin, email, 12345, START + dt.timedelta(minutes=5), live_session="room-7")
    with transaction(runtime.factory) as s:
        livestreams.upsert_session(s, platform="douyin", external_id="room-7", host="店长", title="年货节",
                                   started_at=START, ended_at=START + dt.timedelta(hours=1), viewers=4321)
        creators.upsert_creator(s, platform="weibo", external_id="k1", handle="@小红", followers=800, customer_id=kol)
    _signed_in(client, runtime, "analyst", "en")
    page = client.get("/social/live")
    assert page.status_code == 200 and "Live sessions" in page.text and "年货节" in page.text
    assert "4,321" in page.text and "123.45" in page.text
    fragment = client.get("/social/live", params={"platform": "weibo"}, headers=HTMX).text
    assert fragment.lstrip().startswith("<table") and "年货节" not in fragment and "No live session yet" in fragment
    creators_page = client.get("/social/creators").text
    assert "@小红" in creators_page and "Engagement rate" in creators_page and "Sign-ups" in creators_page

    client.cookies.set("guanxi_locale", "zh-CN")
    zh = client.get("/social/live").text
    assert "直播场次" in zh and "观看人数" in zh and "¥123.45" in zh
    assert "达人" in client.get("/social/creators").text
    assert "/social/live" in client.get("/social").text    # reachable from the social dashboard


def test_community_page_adds_and_removes_members(client, auth, runtime):
    a, _ = _customer(client, auth("admin"))
    with transaction(runtime.factory) as s:
        group, _ = communities.upsert_community(s, platform="wechat", external_id="g-page", name="团购群", kind="group")
        gid = group.id
    _signed_in(client, runtime, "operations", "en")
    listing = client.get("/social/communities")
    assert listing.status_code == 200 and f'href="/social/communities/{gid}"' in listing.text
    page = f"/social/communities/{gid}"
    assert "Nobody in this group yet." in client.get(page).text

    bad = post_form(client, page, f"{page}/members", {"customer_id": "abc"}, follow_redirects=False)
    assert bad.status_code == 422 and "Enter a customer number" in bad.text
    unknown = post_form(client, page, f"{page}/members", {"customer_id": "999999999"}, follow_redirects=False)
    assert unknown.status_code == 422 and "no customer" in unknown.text
    ok = post_form(client, page, f"{page}/members", {"customer_id": str(a)}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == page
    html = client.get(page).text
    assert f'data-member="{a}"' in html and f"community_id&#34;: {gid}" in html

    token = csrf_of(html)
    swapped = client.post(f"{page}/members/{a}/leave", data={"csrf_token": token}, headers=HTMX)
    assert swapped.status_code == 200 and swapped.text.lstrip().startswith("<form")
    assert f'data-member="{a}"' not in swapped.text
    with transaction(runtime.factory) as s:
        assert communities.member_ids(s, gid) == []

    client.cookies.set("guanxi_locale", "zh-CN")
    assert "社群" in client.get("/social/communities").text


def test_readers_see_no_member_forms_and_cannot_post(client, auth, runtime):
    with transaction(runtime.factory) as s:
        group, _ = communities.upsert_community(s, platform="wechat", external_id="g-ro", name="只读群", kind="forum")
        gid = group.id
    _signed_in(client, runtime, "analyst", "en")
    html = client.get(f"/social/communities/{gid}").text
    assert "Add to the group" not in html and "Forum" in html
    assert client.post(f"/social/communities/{gid}/members", data={"customer_id": "1", "csrf_token": csrf_of(html)},
                       follow_redirects=False).status_code == 403
    assert client.get("/social/communities/999999").status_code == 404


def test_the_customer_360_shows_the_persons_groups_and_creator_account(client, auth, runtime):
    cid, _ = _customer(client, auth("admin"))
    with transaction(runtime.factory) as s:
        group, _ = communities.upsert_community(s, platform="wechat", external_id="g-360", name="老客福利群",
                                                kind="group")
        gone, _ = communities.upsert_community(s, platform="wechat", external_id="g-left", name="已退的群", kind="group")
        communities.join(s, group.id, [cid])
        communities.join(s, gone.id, [cid])
        communities.leave(s, gone.id, cid)
        creators.upsert_creator(s, platform="douyin", external_id="dy-360", handle="@甜甜", followers=5000,
                                customer_id=cid)
    _signed_in(client, runtime, "operations", "zh-CN")
    html = client.get(f"/customers/{cid}").text
    assert f'href="/social/communities/{group.id}"' in html and "老客福利群" in html and "已退的群" not in html
    assert "@甜甜" in html and "5,000 粉丝" in html
