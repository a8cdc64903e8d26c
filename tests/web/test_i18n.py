"""zh-CN and en: the staff member's setting, Accept-Language, the switch; formats; full catalogues."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import guanxi.web
from guanxi.web.formatting import Formatter
from guanxi.web.i18n import choose, from_accept_language

from .forms import post_form, sign_in

WEB = Path(guanxi.web.__file__).parent


@pytest.mark.parametrize("header, expected", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"), ("en-GB,en;q=0.9", "en"), ("fr-FR,en;q=0.5,zh;q=0.9", "zh-CN"),
    ("zh-Hant-TW", "zh-CN"), ("fr", None), ("", None), ("en;q=0", None),
])
def test_accept_language(header, expected):
    assert from_accept_language(header) == expected


def test_choice_order():
    assert choose(cookie="en", own_setting="zh-CN", accept_language="zh", default="zh-CN") == "en"
    assert choose(cookie=None, own_setting="en", accept_language="zh", default="zh-CN") == "en"
    assert choose(cookie="xx", own_setting=None, accept_language="en-US", default="zh-CN") == "en"
    assert choose(cookie=None, own_setting=None, accept_language=None, default="zh-CN") == "zh-CN"


def test_money_numbers_and_dates_per_locale():
    zh, en = Formatter("zh-CN", "Asia/Shanghai"), Formatter("en", "Asia/Shanghai")
    assert zh.money(123450, "CNY") == "¥1,234.50"
    assert en.money(123450, "CNY") == "CN¥1,234.50"
    assert en.money(1000, "JPY") == "¥1,000"
    assert zh.number(1234567) == en.number(1234567) == "1,234,567"
    assert zh.percent(0.1234) == "12.3%"
    moment = dt.datetime(2026, 11, 10, 16, 30, tzinfo=dt.UTC)  # 00:30 on the 11th in Shanghai
    assert zh.date(moment) == "2026年11月11日"
    assert en.date(moment) == "Nov 11, 2026"
    assert en.change(110, 100) == "+10.0%" and en.change(90, 100) == "-10.0%" and en.change(5, 0) is None


def test_accept_language_picks_the_page_language(client):
    assert "员工登录" in client.get("/signin", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    english = client.get("/signin", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    assert "Staff sign-in" in english and '<html lang="en">' in english


def test_the_staff_members_own_setting_wins_over_the_browser(client, make_staff):
    sign_in(client, make_staff("admin", locale="zh-CN"))
    html = client.get("/dashboard", headers={"Accept-Language": "en"}).text
    assert "重复购买率" in html and '<html lang="zh-CN">' in html


def test_switching_language_is_remembered_for_the_staff_member(client, make_staff, app):
    from fastapi.testclient import TestClient

    email = make_staff("admin", locale="en")
    sign_in(client, email)
    reply = post_form(client, "/dashboard", "/locale", {"locale": "zh-CN", "next": "/dashboard"},
                      follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/dashboard"
    assert "guanxi_locale=zh-CN" in reply.headers["set-cookie"]
    assert "概览" in client.get("/dashboard").text
    with TestClient(app) as other_browser:  # a new browser: the staff member's setting says Chinese now
        sign_in(other_browser, email)
        assert "重复购买率" in other_browser.get("/dashboard", headers={"Accept-Language": "en"}).text


def test_switching_language_without_signing_in(client):
    post_form(client, "/signin", "/locale", {"locale": "zh-CN", "next": "/signin"})
    assert "员工登录" in client.get("/signin", headers={"Accept-Language": "en"}).text
    reply = post_form(client, "/signin", "/locale", {"locale": "en", "next": "https://evil.example"},
                      follow_redirects=False)
    assert reply.headers["location"] == "/"


def test_every_message_has_a_chinese_translation():
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "plain": None}
    found = {message for _, _, message, _, _ in extract_from_dir(str(WEB), method_map, keywords=keywords,
                                                                   options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}})}
    found = {m if isinstance(m, str) else m[0] for m in found}
    with (WEB / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    translated = {m.id for m in catalog if m.id and m.string}
    missing = sorted(found - translated)
    assert not missing, f"add these to locale/zh_CN/LC_MESSAGES/messages.po: {missing}"
    assert (WEB / "locale" / "en" / "LC_MESSAGES" / "messages.po").exists()
