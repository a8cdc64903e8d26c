"""The campaigns page offers the newer triggers; its one number field goes to the trigger's own param."""

from __future__ import annotations

from sqlalchemy import select

from .forms import post_form


def test_new_triggers_take_their_number_from_the_form(staff_client, runtime):
    from guanxi.care import template_store
    from guanxi.care.models import Campaign
    from guanxi.db import transaction
    from guanxi.staff.roles import SYSTEM

    with transaction(runtime.factory) as session:
        template_store.save_template(session, SYSTEM, name="cart", channel="email", locale="en", subject="Your cart",
                                     body="Still thinking, {{ customer.first_name }}?")
    ops = staff_client("operations")
    page = ops.get("/care/campaigns")
    assert all(f'<option value="{t}"' in page.text for t in ("abandoned_cart", "refill", "winback_ladder"))
    made = post_form(ops, "/care/campaigns", "/care/campaigns",
                     {"name": "Cart", "trigger": "abandoned_cart", "days": "6", "channel": "email",
                      "template": "cart", "purpose": "marketing", "control_percent": "0"}, follow_redirects=False)
    assert made.status_code == 303, made.text
    with runtime.factory() as session:
        assert session.scalar(select(Campaign.params).where(Campaign.name == "Cart")) == {"hours": 6}
    bad = post_form(ops, "/care/campaigns", "/care/campaigns",
                    {"name": "Ann", "trigger": "anniversary", "days": "1", "template": "cart"})
    assert bad.status_code == 422 and "field" in bad.text
