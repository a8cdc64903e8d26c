"""Start a win-back campaign from the churn-risk list: a care campaign in draft, for review before it runs.

The audience is the at-risk customers listed now (the most valuable first, reports.at_risk_list),
frozen as ids; 10% of them are held out, so the campaign's report (and the campaign-uplift KPI)
measures what the message changed. The e-mail template `winback` is written once if the shop has
none yet (zh-CN and en), and the content team can edit it like any other before the campaign starts.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from guanxi.analytics import reports
from guanxi.errors import Conflict
from guanxi.staff.roles import Actor

TEMPLATE = "winback"
CONTROL_PERCENT = 10
TEXTS = {  # locale -> (subject, body); only the variables care's sample context has
    "zh-CN": ("{{ customer.first_name }}，好久不见", "{{ customer.name }}，您好！\n\n我们想念您。{{ shop.name }} 为您准备了"
              "新品和专属优惠，欢迎回来看看。\n\n{{ offer.title }} {{ offer.code }}\n\n"
              "不想再收到此类邮件：{{ links.unsubscribe }}"),
    "en": ("We miss you, {{ customer.first_name }}", "Hello {{ customer.name }},\n\nit has been a while. {{ shop.name }} "
           "has new arrivals and an offer for you.\n\n{{ offer.title }} {{ offer.code }}\n\n"
           "Unsubscribe: {{ links.unsubscribe }}"),
}


def ensure_template(session: Session, actor: Actor) -> None:
    from guanxi.care import template_store

    for locale, (subject, body) in TEXTS.items():
        found = template_store.find_template(session, TEMPLATE, "email", locale)  # falls back to another locale
        if found is None or found.locale != locale:
            template_store.save_template(session, actor, name=TEMPLATE, channel="email", locale=locale,
                                         subject=subject, body=body)


def start_campaign(session: Session, actor: Actor, *, limit: int = 20, today: dt.date | None = None):
    """A draft care campaign for the `limit` most valuable at-risk customers; returns the campaign row.
    The same list on the same day gives back the draft made for it, not a second one."""
    from guanxi.care import campaigns

    ids = [row["customer_id"] for row in reports.at_risk_list(session, limit=limit)]
    if not ids:
        raise Conflict("nobody is at risk now: there is no one to win back (scores come from the daily recompute)")
    day = (today or dt.date.today()).isoformat()
    name = f"Win-back {day}: {len(ids)} at-risk customers"
    for draft in campaigns.list_campaigns(session, "draft"):  # a second click (or a retry) opens the same draft
        if draft.name == name and sorted((draft.audience or {}).get("customer_ids") or []) == sorted(ids):
            return draft
    ensure_template(session, actor)
    return campaigns.create_campaign(session, actor, campaigns.CampaignSpec(
        name=name, channels=["email"],
        variants=[{"name": "A", "template": TEMPLATE, "weight": 1}], audience={"customer_ids": ids},
        control_percent=CONTROL_PERCENT))
