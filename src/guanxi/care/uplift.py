"""Uplift against the hold-out group: conversion and revenue per recipient, measured, not assumed."""

from __future__ import annotations

from dataclasses import dataclass

from guanxi.care.assignment import CONTROL


@dataclass(frozen=True)
class GroupFigures:
    recipients: int
    converted: int
    revenue_minor: int

    @property
    def conversion_rate(self) -> float:
        return self.converted / self.recipients if self.recipients else 0.0

    @property
    def revenue_per_recipient(self) -> float:
        return self.revenue_minor / self.recipients if self.recipients else 0.0


def uplift(groups: dict[str, GroupFigures]) -> dict[str, dict]:
    """Per variant: its figures and the difference to the control group (None without a control)."""
    control = groups.get(CONTROL)
    out = {}
    for name, g in groups.items():
        row = {"recipients": g.recipients, "converted": g.converted, "revenue_minor": g.revenue_minor,
               "conversion_rate": round(g.conversion_rate, 6),
               "revenue_per_recipient_minor": round(g.revenue_per_recipient, 2),
               "conversion_uplift": None, "conversion_uplift_relative": None, "revenue_uplift_per_recipient_minor": None}
        if control is not None and control.recipients and name != CONTROL and g.recipients:
            diff = g.conversion_rate - control.conversion_rate
            row["conversion_uplift"] = round(diff, 6)
            row["conversion_uplift_relative"] = (round(diff / control.conversion_rate, 6)
                                                 if control.conversion_rate else None)
            row["revenue_uplift_per_recipient_minor"] = round(g.revenue_per_recipient - control.revenue_per_recipient, 2)
        out[name] = row
    return out
