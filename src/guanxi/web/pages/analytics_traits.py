"""The customer 360's "Traits and potential" section: derived traits, prospect value or growth potential."""

from __future__ import annotations

from fastapi import APIRouter

from guanxi.analytics.customer_traits import customer_traits
from guanxi.errors import NotFound
from guanxi.staff.roles import Perm
from guanxi.web.i18n import N_
from guanxi.web.sections import customer_section

router = APIRouter()  # no page of its own: importing the module registers the section
BANDS = {"low": N_("low"), "medium": N_("medium"), "high": N_("high")}


@customer_section("analytics_traits", N_("Traits and potential"), "analytics/_customer_traits.html",
                  perm=Perm.customers_write, order=41)
def customer_traits_section(session, runtime, customer_id: int) -> dict:
    try:
        traits = customer_traits(session, customer_id)
    except NotFound:
        traits = None
    return {"traits": traits, "bands": BANDS, "currency": runtime.settings.default_currency}
