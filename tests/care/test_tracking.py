"""Opens and clicks through the real /c/ endpoints: a mail sent over loopback SMTP, its tracked link followed."""

from __future__ import annotations

import re

import pytest

from guanxi.care import tracking
from guanxi.care.models import MessageEvent, OutboxMessage
from guanxi.db import transaction

from .test_api import C, _template
from .test_outbox import drain, message, queue

SHOP = "https://tea.example/p/longjing?from=mail"


@pytest.fixture
def api(app, client, care_settings):
    care_settings.open_pixel = True
    app.state.care_settings = care_settings
    return client


def _sent_mail(runtime, smtp, care, cid, **kw):
    mid = queue(runtime, cid, body=f"新茶到了：{SHOP}，欢迎选购", **kw)
    assert drain(runtime, care)["sent"] == 1
    return mid, smtp.messages[-1]


def _path(url: str) -> str:
    assert url.startswith("https://shop.example/c/"), url
    return url.removeprefix("https://shop.example")


def test_tracked_link_redirects_to_the_original_and_counts_once_as_unique(api, runtime, smtp, care_settings, person):
    mid, mail = _sent_mail(runtime, smtp, care_settings, person())
    text = mail.get_body(("plain",)).get_content()
    assert SHOP not in text  # the link in the mail is the tracked one
    [link] = re.findall(r"https://shop\.example/c/[0-9a-f.]+", text)
    first = api.get(_path(link), follow_redirects=False)
    assert first.status_code == 302 and first.headers["location"] == SHOP
    assert api.get(_path(link), follow_redirects=False).status_code == 302  # a reload
    row = message(runtime, mid)
    assert row.clicked_at is not None and row.opened_at is not None
    with runtime.factory() as session:
        assert tracking.figures(session, message_ids=[mid])["clicked_unique"] == 1
        assert tracking.figures(session, message_ids=[mid])["clicked_total"] == 2


def test_tampered_or_guessed_link_is_404_and_counts_nothing(api, runtime, smtp, care_settings, person):
    mid, mail = _sent_mail(runtime, smtp, care_settings, person())
    [link] = re.findall(r"https://shop\.example/c/[0-9a-f.]+", mail.get_body(("plain",)).get_content())
    mac = link.rsplit(".", 1)[1]
    forged = [link[:-1] + ("0" if link[-1] != "0" else "1"),            # signature altered
              f"https://shop.example/c/{mid + 1}.0.{mac}",               # another message, same signature
              f"https://shop.example/c/{mid}.1.{mac}",                   # another link of the message
              "https://shop.example/c/1.0"]
    for url in forged:
        reply = api.get(_path(url), follow_redirects=False)
        assert reply.status_code == 404, url
        assert "location" not in reply.headers  # a browser gets the site's 404 page, not a redirect
    assert message(runtime, mid).clicked_at is None
    with runtime.factory() as session:
        assert session.query(MessageEvent).count() == 0


def test_open_pixel_is_a_gif_and_counts_the_open(api, runtime, smtp, care_settings, person):
    mid, mail = _sent_mail(runtime, smtp, care_settings, person())
    html = mail.get_body(("html",)).get_content()
    [pixel] = re.findall(r'<img src="(https://shop\.example/c/o/[^"]+)"', html)
    reply = api.get(_path(pixel))
    assert reply.status_code == 200 and reply.headers["content-type"] == "image/gif"
    assert reply.content[:6] == b"GIF89a" and reply.content[6:10] == b"\x01\x00\x01\x00"  # 1×1
    assert message(runtime, mid).opened_at is not None
    assert api.get(_path(pixel[:-6] + "0.gif")).status_code == 404
    with runtime.factory() as session:
        assert tracking.figures(session, message_ids=[mid])["opened"] == 1


def test_sms_links_are_tracked_and_unsubscribe_links_are_left_alone(runtime, http_sink, care_settings, person):
    cid = person(phone="13800138000")
    body = f"新茶 {SHOP} 退订 https://shop.example/api/v1/care/unsubscribe/abc"
    queue(runtime, cid, channel="sms", body=body, key="track-sms")
    assert drain(runtime, care_settings)["sent"] == 1
    sent = str(http_sink.requests[-1])
    assert SHOP not in sent and "https://shop.example/c/" in sent
    assert "https://shop.example/api/v1/care/unsubscribe/abc" in sent


def test_campaign_report_shows_opens_clicks_and_unsubscribes(api, auth, runtime, smtp, care_settings, person):
    assert _template(api, auth, body="您好 {{ customer.name }}，看看新茶：" + SHOP).status_code == 201
    cid = person()
    camp = api.post(C, json={"name": "新茶", "channels": ["email"], "variants": [{"template": "greet"}],
                             "audience": {"customer_ids": [cid]}}, headers=auth("operations")).json()
    assert api.post(f"{C}/{camp['id']}/status", json={"status": "active"}, headers=auth("operations")).status_code == 200
    assert api.post(f"{C}/{camp['id']}/runs", json={}, headers=auth("operations")).json()["queued"] == 1
    drain(runtime, care_settings)
    text = smtp.messages[-1].get_body(("plain",)).get_content()
    [link] = re.findall(r"https://shop\.example/c/[0-9a-f.]+", text)
    api.get(_path(link), follow_redirects=False)
    unsub = smtp.messages[-1]["List-Unsubscribe"].strip("<>").removeprefix("https://shop.example")
    assert api.get(unsub).status_code == 200   # opening the link only asks (mail scanners fetch links)
    assert api.post(unsub).status_code == 200  # the confirm button / one-click POST withdraws
    assert api.post(unsub).status_code == 200  # twice: one unsubscribe
    report = api.get(f"{C}/{camp['id']}/report", headers=auth("operations")).json()
    assert report["engagement"] == {"opened": 1, "opens_total": 0, "clicked_unique": 1, "clicked_total": 1,
                                    "unsubscribes": 1}


def test_tokens_are_bound_to_the_secret():
    token = tracking.click_token("s1", 5, 0)
    assert tracking.read_click("s1", token) == (5, 0)
    assert tracking.read_click("s2", token) is None
    assert tracking.read_open("s1", tracking.open_token("s1", 5) + ".gif") == 5
    assert tracking.read_open("s1", tracking.click_token("s1", 5, 0)) is None
