"""Campaign budgets on storage: what each budgeted rule has given, kept exact under batching and concurrency.

A Spend is opened for a batch of awards: it locks the budget rows of the budgeted rules in force
(FOR UPDATE on PostgreSQL; SQLite's write transaction is exclusive), hands evaluate() what is
left, and counts each award's use in memory, so a page of orders can never spend the same points
twice. save() writes the totals in the same transaction as the ledger rows and raises the staff
alerts (admin_alerts, listed by GET /api/v1/alerts) once at 80% and once at 100%.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.dialect import insert_ignoring_conflicts
from guanxi.loyalty.models import RuleBudget
from guanxi.privacy.models import AdminAlert

log = logging.getLogger(__name__)
THRESHOLDS = (80, 100)
ALERT_KIND = "loyalty_budget"


class Spend:
    """The budgets of `names` for one transaction: lock once, charge many, save once."""

    def __init__(self, session: Session, budgets: dict[str, int], *, now: dt.datetime):
        self.session, self.now = session, now
        self.budgets = dict(budgets)             # rule -> budget (points), of the last rule set seen
        self.used: dict[str, int] = {}
        self.start: dict[str, int] = {}
        self.alerted: dict[str, int] = {}
        if self.budgets:
            names = sorted(self.budgets)
            session.execute(insert_ignoring_conflicts(session, RuleBudget, ["rule"]),
                            [{"rule": n, "used": 0, "alerted": 0, "updated_at": now} for n in names])
            for row in session.execute(select(RuleBudget.rule, RuleBudget.used, RuleBudget.alerted)
                                       .where(RuleBudget.rule.in_(names)).order_by(RuleBudget.rule)
                                       .with_for_update()):
                self.used[row.rule] = self.start[row.rule] = int(row.used)
                self.alerted[row.rule] = int(row.alerted)

    def left(self, rules: dict[str, dict]) -> dict[str, int]:
        """What is left of each budget, as the rule versions in `rules` set them."""
        out = {}
        for name, budget in budgets_in(rules).items():
            self.budgets[name] = budget
            out[name] = max(budget - self.used.get(name, 0), 0)
        return out

    def charge(self, use: dict[str, int]) -> None:
        for name, points in use.items():
            if name in self.budgets and points > 0:
                self.used[name] = self.used.get(name, 0) + points

    def save(self) -> None:
        for name, used in self.used.items():
            reached = _reached(used, self.budgets[name])
            if used == self.start.get(name) and reached <= self.alerted.get(name, 0):
                continue
            row = self.session.get(RuleBudget, name)
            row.used, row.updated_at = used, self.now
            for threshold in (t for t in THRESHOLDS if row.alerted < t <= reached):  # each threshold once
                self.session.add(AdminAlert(
                    at=self.now, kind=ALERT_KIND, actor=None,
                    message=f"loyalty rule {name!r} has used {used} of its {self.budgets[name]} points budget "
                            f"(≥ {threshold}%{': it gives no more points' if threshold >= 100 else ''})",
                    details={"rule": name, "used": used, "budget": self.budgets[name], "threshold": threshold}))
                log.warning("loyalty budget of %s reached %s%%", name, threshold)
            row.alerted = max(row.alerted, reached)
            self.start[name], self.alerted[name] = used, row.alerted
        self.session.flush()


def _reached(used: int, budget: int) -> int:
    """The highest alert threshold `used` has reached (0 when below 80%)."""
    if budget <= 0:
        return 100
    return max((t for t in THRESHOLDS if used * 100 >= t * budget), default=0)


def budgets_in(rules: dict[str, dict]) -> dict[str, int]:
    """{name: budget} of the budgeted rules in a rule set."""
    return {n: int(d["budget"]) for n, d in rules.items() if isinstance(d.get("budget"), int)}


def for_rules(session: Session, rule_rows, *, now: dt.datetime) -> Spend:
    """The budgets of every budgeted rule among `rule_rows` (rows with .name and .definition, oldest first)."""
    found: dict[str, int] = {}
    for row in rule_rows:  # an older version may carry a budget the latest one dropped
        found.update(budgets_in({row.name: row.definition}))
    return Spend(session, found, now=now)


def report(session: Session) -> list[dict]:
    """Budget use per budgeted rule (latest version's budget), for GET /api/v1/loyalty/reports."""
    from guanxi.loyalty import catalogue

    used = dict(session.execute(select(RuleBudget.rule, RuleBudget.used)).all())
    out = []
    for row in catalogue.current_rules(session):
        budget = row.definition.get("budget")
        if not isinstance(budget, int):
            continue
        spent = int(used.get(row.name, 0))
        out.append({"rule": row.name, "active": row.active, "budget": budget, "used": spent,
                    "remaining": max(budget - spent, 0),
                    "share": round(spent / budget, 4) if budget else None})
    return out
