"""The coalition partners page: list, create (token once), rotate, statement; zh-CN; role checks."""

from __future__ import annotations

import re

from guanxi.db import transaction
from guanxi.loyalty import partners

from .forms import post_form
from .test_member import _signed_in_member

NEW = {"code": "CAFE", "name": "街角咖啡", "unit": "currency", "unit_currency": "CNY", "rate_units": "100",
       "rate_points": "1", "value_minor": "3", "value_points": "4", "currency": "CNY"}
TOKEN = re.compile(r'id="new-token" type="text" readonly value="(gxp_[^"]+)"')


def test_operations_create_a_partner_see_its_token_once_and_rotate_it(staff_client, runtime):
    client = staff_client("operations")
    page = client.get("/loyalty/partners")
    assert page.status_code == 200 and "No partners yet." in page.text
    reply = post_form(client, "/loyalty/partners", "/loyalty/partners", NEW)
    assert reply.status_code == 200, reply.text
    first = TOKEN.search(reply.text).group(1)
    with transaction(runtime.factory) as session:
        assert partners.partner_for_token(session, first).code == "CAFE"
    listing = client.get("/loyalty/partners").text
    assert "街角咖啡" in listing and first not in listing and 'id="new-token"' not in listing
    rotated = post_form(client, "/loyalty/partners", "/loyalty/partners/CAFE/token")
    second = TOKEN.search(rotated.text).group(1)
    assert second != first
    statement = client.get("/loyalty/partners/CAFE/statements?month=2026-11")
    assert statement.status_code == 200 and 'id="statement-totals"' in statement.text
    assert "/api/v1/loyalty/partners/CAFE/statements/2026-11.csv" in statement.text
    assert client.get("/loyalty/partners/CAFE/statements?month=11-2026").status_code == 422


def test_bad_partner_forms_are_answered_with_what_to_fix_and_keep_the_input(staff_client):
    client = staff_client("admin")
    reply = post_form(client, "/loyalty/partners", "/loyalty/partners", {**NEW, "rate_points": "0.5"})
    assert reply.status_code == 422 and "Our points is a whole number." in reply.text
    assert 'value="街角咖啡"' in reply.text
    reply = post_form(client, "/loyalty/partners", "/loyalty/partners", {**NEW, "code": "咖啡"})
    assert reply.status_code == 422 and "letters, digits" in reply.text
    reply = post_form(client, "/loyalty/partners", "/loyalty/partners", {**NEW, "currency": "yuan"})
    assert reply.status_code == 422 and "three-letter" in reply.text
    assert post_form(client, "/loyalty/partners", "/loyalty/partners", NEW).status_code == 200
    reply = post_form(client, "/loyalty/partners", "/loyalty/partners", NEW)
    assert reply.status_code == 422 and "exists already" in reply.text


def test_the_partners_page_speaks_chinese_and_is_closed_to_roles_without_loyalty_configure(staff_client):
    page = staff_client("operations", locale="zh-CN").get("/loyalty/partners").text
    assert "联盟商户" in page and "新建商户" in page
    assert staff_client("service").get("/loyalty/partners").status_code == 403


def test_a_member_sees_their_partner_code_and_a_partner_finds_them_by_it(client, mailbox, seed_customer, runtime):
    customer_id = _signed_in_member(client, mailbox, seed_customer)
    with transaction(runtime.factory) as session:
        partner, _ = partners.create_partner(session, **{**NEW, "rate_units": 100, "rate_points": 1,
                                                         "value_minor": 3, "value_points": 4})
    home = client.get("/m/").text
    code = re.search(r'id="member-partner-code">(M[A-Z0-9]+)<', home).group(1)
    assert "街角咖啡" in home and "Partners learn nothing about you" in home
    assert re.search(r'id="member-partner-code">(M[A-Z0-9]+)<', client.get("/m/").text).group(1) == code
    with runtime.factory() as session:
        assert partners.find_member(session, runtime.cipher, code=code).id == customer_id
