"""Loyalty KPIs and cohorts from the purchase log, each defined once, as a formula on arrays.

For the purchases of a period [start, end] (shop days, both inclusive):

    active customers        C = distinct customers with a purchase
    orders                  N = purchases
    revenue                 R = sum of kept amounts (total - refunds)
    repeat-purchase rate    customers with two or more purchases / C
    purchase frequency      N / C
    average order value     R / N
    revenue per customer    R / C
    new customers           customers whose first purchase ever falls in the period

From the other domains, read through their own functions (instants: the period's shop days in UTC):

    referral rate           new customers attributed to a referral (loyalty, not rejected) / new customers
    points liability        points outstanding at the period's end (loyalty ledger) x value per point
                            (GUANXI_POINT_VALUE_MINOR)
    redemption rate         points redeemed / points earned in the period (loyalty ledger)
    CSAT                    mean of the 1-5 satisfaction answers given in the period (service)
    NPS                     % promoters (9-10) - % detractors (0-6) of the 0-10 answers in the period (service)
    campaign uplift         conversion of the recipients of campaigns with a hold-out group, chosen in the
                            period, minus the conversion of their hold-out (control) customers (care);
                            conversion = bought within the campaign's conversion_days of being chosen

Cohorts: a customer's cohort is the calendar month of their first purchase ever; cell k of a
cohort's row is the share of its customers who bought in the k-th month after it (k = 0 is
100% by construction) and the revenue they brought that month.
"""

from __future__ import annotations

import datetime as dt

import numpy as np


def _days(dates) -> np.ndarray:
    return np.asarray(dates, dtype="datetime64[D]")


def period_figures(customers, dates, amounts, *, start: dt.date, end: dt.date) -> dict:
    customers = np.asarray(customers)
    days = _days(dates)
    amounts = np.asarray(amounts, dtype=np.int64)
    inside = (days >= np.datetime64(start, "D")) & (days <= np.datetime64(end, "D"))
    ids, per_customer = np.unique(customers[inside], return_counts=True)
    c, n, revenue = len(ids), int(inside.sum()), int(amounts[inside].sum())
    return {
        "start": start.isoformat(), "end": end.isoformat(),
        "active_customers": c, "orders": n, "revenue_minor": revenue,
        "new_customers": len(new_customers(customers, days, start=start, end=end)),
        "repeat_purchase_rate": float((per_customer >= 2).sum() / c) if c else None,
        "purchase_frequency": n / c if c else None,
        "average_order_value_minor": revenue // n if n else None,
        "revenue_per_customer_minor": revenue // c if c else None,
    }


def new_customers(customers, dates, *, start: dt.date, end: dt.date) -> set[int]:
    """Customers whose first purchase ever is a day of [start, end]."""
    customers = np.asarray(customers)
    if len(customers) == 0:
        return set()
    days = _days(dates)
    ids, index = np.unique(customers, return_inverse=True)
    first = np.full(len(ids), np.datetime64("9999-12-31", "D"))
    np.minimum.at(first, index, days)
    new = (first >= np.datetime64(start, "D")) & (first <= np.datetime64(end, "D"))
    return {int(i) for i in ids[new]}


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def referral_rate(new: set[int], referred: set[int]) -> float | None:
    """New customers attributed to a referral / new customers."""
    return share(len(new & referred), len(new))


def points_liability_minor(outstanding_points: int, value_per_point_minor: float) -> int:
    """Outstanding points x value per point, rounded to a whole minor unit."""
    return round(outstanding_points * value_per_point_minor)


def redemption_rate(redeemed: int, earned: int) -> float | None:
    """Points redeemed / points earned in the period."""
    return share(redeemed, earned)


def campaign_uplift(recipients: int, converted: int, control: int, control_converted: int) -> dict:
    """Conversion of the recipients against their hold-out group; the uplift is the difference (a share)."""
    treated_rate, control_rate = share(converted, recipients), share(control_converted, control)
    return {"recipients": recipients, "converted": converted, "control": control,
            "control_converted": control_converted, "conversion_rate": treated_rate,
            "control_conversion_rate": control_rate,
            "uplift": None if treated_rate is None or control_rate is None else treated_rate - control_rate}


def revenue_by_month(dates, amounts, *, start: dt.date, end: dt.date) -> list[dict]:
    days = _days(dates)
    amounts = np.asarray(amounts, dtype=np.int64)
    months = days.astype("datetime64[M]")
    first, last = np.datetime64(start, "M"), np.datetime64(end, "M")
    inside = (days >= np.datetime64(start, "D")) & (days <= np.datetime64(end, "D"))
    span = np.arange(first, last + 1)
    index = (months[inside] - first).astype(np.int64)
    orders = np.bincount(index, minlength=len(span))
    revenue = np.bincount(index, weights=amounts[inside], minlength=len(span))
    return [{"month": str(m), "orders": int(o), "revenue_minor": int(r)} for m, o, r in zip(span, orders, revenue)]


def cohorts(customers, dates, amounts, *, end: dt.date, months: int = 12) -> list[dict]:
    """Acquisition cohorts of the last ``months`` months up to ``end``, each with its retention row."""
    customers = np.asarray(customers)
    days = _days(dates)
    amounts = np.asarray(amounts, dtype=np.int64)
    keep = days <= np.datetime64(end, "D")
    customers, days, amounts = customers[keep], days[keep], amounts[keep]
    if len(customers) == 0:
        return []
    ids, cust = np.unique(customers, return_inverse=True)
    month = days.astype("datetime64[M]").astype(np.int64)
    first = np.full(len(ids), np.iinfo(np.int64).max)
    np.minimum.at(first, cust, month)
    last_month = int(np.datetime64(end, "M").astype(np.int64))
    result = []
    for cohort in range(last_month - months + 1, last_month + 1):
        members = first == cohort
        size = int(members.sum())
        if size == 0:
            continue
        rows = members[cust]
        since = month[rows] - cohort
        width = last_month - cohort + 1
        buyers = np.zeros(width, dtype=np.int64)
        pairs = np.unique(np.stack([cust[rows], since]), axis=1)
        np.add.at(buyers, pairs[1], 1)
        revenue = np.bincount(since, weights=amounts[rows], minlength=width)
        result.append({
            "cohort": str(np.datetime64(cohort, "M")), "customers": size,
            "retention": [round(float(b) / size, 4) for b in buyers],
            "revenue_minor": [int(r) for r in revenue],
        })
    return result
