"""CDNOW data for the analytics tests: ../shared/data/cdnow next to the repository, or
GUANXI_CDNOW_DIR. Tests that need it are skipped, with the reason, when it is absent."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from guanxi.analytics.cdnow import read_cdnow
from guanxi.analytics.summary import CustomerSummary, summarize_transactions

CDNOW_DIR = Path(os.environ.get("GUANXI_CDNOW_DIR", Path(__file__).resolve().parents[3] / "shared/data/cdnow"))
CALIBRATION_END = date(1997, 9, 30)
HOLDOUT_END = date(1998, 6, 30)


def cdnow_file(name: str) -> Path:
    path = CDNOW_DIR / name
    if not path.exists():
        pytest.skip(f"{path} not found (set GUANXI_CDNOW_DIR)")
    return path


def cdnow_summary(name: str) -> CustomerSummary:
    # Dollars, not cents: the published Gamma-Gamma gamma is in dollars.
    rows = ((row.customer_id, row.date, row.amount_minor / 100) for row in read_cdnow(cdnow_file(name)))
    return summarize_transactions(rows, CALIBRATION_END, HOLDOUT_END)


@pytest.fixture(scope="session")
def cdnow_path():
    return cdnow_file


@pytest.fixture(scope="session")
def cdnow_sample() -> CustomerSummary:
    return cdnow_summary("CDNOW_sample.txt")


@pytest.fixture(scope="session")
def cdnow_master() -> CustomerSummary:
    return cdnow_summary("CDNOW_master.txt")
