"""Roles decide the menu and the pages; a page the role may not open is a 403 page."""

from __future__ import annotations

import importlib.util
import re

import pytest

from .forms import csrf_of, sign_in

# The Duplicates page exists where the customers domain's dedup service does.
DUP = ["/duplicates"] if importlib.util.find_spec("guanxi.customers.dedup") else []
# Live sessions, communities and creators, where the social domain's pages for them exist.
LIVE = ["/social/live"] if importlib.util.find_spec("guanxi.web.pages.social_community") else []
# The service desk's pages, for the roles that work tickets (tickets.work).
DESK = {"/tickets", "/service/incidents", "/service/actions", "/service/quality"}
MENU_LINK = re.compile(r'<nav class="menu".*?</nav>', re.S)


def menu_of(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"', MENU_LINK.search(html).group(0))


# What each team must find in its menu, and what it must never see there. Domains add
# their own pages, so the menu is checked against the role's powers, not as a fixed list.
MENUS = {
    "admin": ({"/dashboard", "/customers", "/imports", "/settings/tokens", *DUP, *DESK}, set()),
    "operations": ({"/dashboard", "/customers", "/imports", *DUP, *LIVE}, {"/settings/tokens", "/settings/audit", *DESK}),
    "service": ({"/customers", *DUP, *DESK}, {"/dashboard", "/imports", "/settings/tokens"}),
    "analyst": ({"/dashboard", "/customers", *LIVE}, {"/imports", "/settings/tokens", "/duplicates", *DESK}),
    "tech": ({"/imports", "/settings/tokens"}, {"/customers", "/dashboard", "/duplicates", "/social/live", *DESK}),
    "content": ({*LIVE}, {"/customers", "/dashboard", "/imports", "/settings/tokens", "/duplicates", *DESK}),
}


@pytest.mark.parametrize("role", sorted(MENUS))
def test_menu_and_landing_page_per_role(client, make_staff, role):
    reply = sign_in(client, make_staff(role))
    menu = menu_of(client.get("/account").text)
    must, never = MENUS[role]
    assert must <= set(menu), f"{role} misses {must - set(menu)}"
    assert not never & set(menu), f"{role} sees {never & set(menu)}"
    assert reply.headers["location"] == (menu[0] if menu else "/account")
    for path in menu:  # every entry offered opens for this role
        assert client.get(path).status_code == 200, (role, path)


@pytest.mark.parametrize("role, path", [
    ("service", "/dashboard"), ("analyst", "/settings/tokens"), ("tech", "/customers"),
    ("operations", "/settings/audit"), ("content", "/imports"), ("service", "/settings/staff"),
    *([("analyst", "/duplicates")] if DUP else []),
])
def test_forbidden_pages_are_a_403_page(client, make_staff, role, path):
    sign_in(client, make_staff(role))
    reply = client.get(path)
    assert reply.status_code == 403
    assert reply.headers["content-type"].startswith("text/html")
    assert "Your role may not open this page." in reply.text


def test_settings_pages_list_only_what_the_role_may_open(staff_client):
    html = staff_client("tech").get("/settings/tokens").text
    subnav = re.search(r'<nav class="subnav".*?</nav>', html, re.S).group(0)
    assert "/settings/tokens" in subnav and "/settings/staff" not in subnav and "/settings/audit" not in subnav


def test_a_role_without_personal_data_access_cannot_reveal(staff_client, seed_customer):
    client = staff_client("analyst")
    customer_id = seed_customer()
    html = client.get(f"/customers/{customer_id}").text
    assert "Reveal personal data" not in html and "138****8000" in html
    token = csrf_of(html)
    assert client.post(f"/customers/{customer_id}/reveal", data={"csrf_token": token}).status_code == 403
    # Read-only roles get no editing forms either.
    assert "Add note" not in html and "Add tag" not in html


def test_a_token_cannot_grant_more_than_its_creator(staff_client):
    client = staff_client("tech")
    html = client.get("/settings/tokens").text
    options = re.findall(r'<option value="(\w+)"', html)
    assert "tech" in options and "admin" not in options and "service" not in options
    reply = client.post("/settings/tokens", data={"name": "sneaky", "role": "admin", "csrf_token": csrf_of(html)})
    assert reply.status_code == 422 and "Choose a role you may grant." in reply.text
