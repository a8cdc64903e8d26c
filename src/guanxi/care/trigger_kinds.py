"""The registry of triggers beyond the built-in ones in triggers.py.

A kind names its integer parameters (default, lowest, highest) as campaigns.TRIGGERS does, any
other parameters with a check (raising ParamError naming the parameter when the campaign is saved),
and a function yielding Chosen rows for a run. Modules register at import (see more_triggers.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from guanxi.care.quiet_hours import zone


class Chosen(NamedTuple):
    customer_id: int
    period: str
    occasion: dict | None = None
    order: dict | None = None
    offer: dict | None = None  # replaces the campaign's offer (a win-back ladder's step)


class ParamError(ValueError):
    def __init__(self, param: str, msg: str):
        super().__init__(msg)
        self.param = param


@dataclass(frozen=True)
class Run:
    """What a trigger sees: the session, the campaign's params, the run's instant and each customer's today."""

    session: Any
    cipher: Any
    care: Any
    campaign: Any
    now: dt.datetime
    today: dt.date | None

    @property
    def params(self) -> dict:
        return self.campaign.params or {}

    def local_today(self, tz: str | None) -> dt.date:
        return self.today or self.now.astimezone(zone(tz)).date()


@dataclass(frozen=True)
class Kind:
    ints: dict[str, tuple[int, int, int]]
    find: Callable[[Run], Iterator[Chosen]]
    other: dict[str, Callable[[Any], None]] = field(default_factory=dict)  # param -> check(value)
    required: tuple[str, ...] = ()


KINDS: dict[str, Kind] = {}


def register(name: str, kind: Kind) -> None:
    KINDS[name] = kind


def check_params(name: str, params: dict) -> None:
    """Validate the non-integer params of a registered kind (the integer ones are campaigns.check_spec's)."""
    kind = KINDS[name]
    for key in kind.required:
        if key not in params:
            raise ParamError(key, f"{key} is required by the {name} trigger")
    for key, check in kind.other.items():
        if key in params:
            try:
                check(params[key])
            except ParamError:
                raise
            except ValueError as exc:
                raise ParamError(key, str(exc)) from None
