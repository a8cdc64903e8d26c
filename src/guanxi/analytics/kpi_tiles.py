"""The KPIs a person reads: the dashboard's tiles and the scheduled e-mails show the same list.

Each is (key in a kpi_report period, label marked for translation, how it is shown).
"""

from __future__ import annotations

from guanxi.web.i18n import N_

KPI_TILES = [
    ("active_customers", N_("Active customers"), "number"),
    ("new_customers", N_("New customers"), "number"),
    ("repeat_purchase_rate", N_("Repeat-purchase rate"), "percent"),
    ("purchase_frequency", N_("Purchase frequency"), "decimal"),
    ("average_order_value_minor", N_("Average order value"), "money"),
    ("revenue_minor", N_("Revenue"), "money"),
    ("revenue_per_customer_minor", N_("Revenue per customer"), "money"),
    ("referral_rate", N_("Referral rate"), "percent"),
    ("points_liability_minor", N_("Points liability"), "money"),
    ("redemption_rate", N_("Redemption rate"), "percent"),
    ("csat", N_("CSAT (1-5)"), "decimal"),
    ("nps", N_("NPS"), "decimal"),
    ("campaign_uplift", N_("Campaign uplift"), "points"),
]
KPI_KEYS = tuple(key for key, _, _ in KPI_TILES)


def kpi_value(period: dict, key: str):
    """One figure of a period; campaign uplift is the difference in conversion (a share)."""
    value = period.get(key)
    return value.get("uplift") if key == "campaign_uplift" and value is not None else value


def tiles_for(keys: list[str] | None) -> list[tuple[str, str, str]]:
    """The tiles of `keys`, in the dashboard's order (all of them for None or an empty list)."""
    wanted = set(keys or KPI_KEYS)
    return [tile for tile in KPI_TILES if tile[0] in wanted]
