"""Browser tests: Debian's Chromium driven by Playwright against a real uvicorn server.

The server runs in a subprocess on a free loopback port with a fresh SQLite database, and
sends member sign-in codes to an aiosmtpd server in this process. Without Chromium the tests
skip locally and fail in CI (CI=true). A failing test leaves a screenshot in the pytest tmp dir.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import shutil
from pathlib import Path

import httpx
import pytest

from guanxi import migrate
from guanxi.config import load_settings
from guanxi.db import transaction
from guanxi.privacy.secrets import ensure_secrets
from guanxi.runtime import build_runtime
from guanxi.staff import service as staff_service

from tests.served import guanxi_server

from .flows import ADMIN, MEMBER_EMAIL


def _load_mailbox():
    """tests/web/mailbox.py, loaded by path: it must not depend on how pytest lays out test packages."""
    path = Path(__file__).parents[1] / "web" / "mailbox.py"
    spec = importlib.util.spec_from_file_location("guanxi_e2e_mailbox", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_mailbox = _load_mailbox()
Mailbox, free_port = _mailbox.Mailbox, _mailbox.free_port

CHROMIUM = shutil.which("chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session")
def mailbox_e2e():
    box = Mailbox().start()
    yield box
    box.stop()


def _seed(base: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    people = [
        {"email": MEMBER_EMAIL, "phone": "+8613912345678", "name": "王芳", "city": "上海", "acquisition_channel": "wechat",
         "tags": ["vip", "beauty"], "birthday": "1990-05-20", "locale": "zh-CN"},
        {"email": "li.lei@example.com", "phone": "+8613800138000", "name": "Li Lei", "city": "Hangzhou",
         "acquisition_channel": "site", "tags": ["new"], "locale": "en"},
        {"email": "chen.jing@example.com", "phone": "+8615000001234", "name": "陈静", "city": "北京",
         "acquisition_channel": "douyin"},
    ]
    people += [{"email": f"buyer{i}@example.com", "name": f"Buyer {i}", "acquisition_channel": "shopify"}
               for i in range(12)]
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        for person in people:
            http.post("/api/v1/customers", json=person).raise_for_status()
        now = dt.datetime.now(dt.UTC)
        orders = []
        for i, person in enumerate(people):
            for n in range(1 + i % 3):
                placed = now - dt.timedelta(days=(i * 23 + n * 97) % 360 + 1)
                orders.append({"source": "site", "external_id": f"e2e-{i}-{n}", "customer": {"email": person["email"]},
                               "placed_at": placed.isoformat(), "currency": "CNY",
                               "total_minor": 9900 + 4321 * ((i + n) % 7) + 100 * i})
        http.post("/api/v1/orders/batch", json={"orders": orders}).raise_for_status()


# The server's environment, for tests that run the CLI or a worker against the same database.
SERVER_ENV: dict[str, str] = {}


@pytest.fixture(scope="session")
def server(tmp_path_factory, mailbox_e2e):
    """Base URL of a Guanxi server with an admin, a few customers with orders, and SMTP to the mailbox."""
    data_dir = tmp_path_factory.mktemp("e2e-data")
    url = f"sqlite:///{data_dir / 'guanxi.db'}"
    ensure_secrets(data_dir / "secrets.json")
    migrate.upgrade(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUANXI_")}
    env.update(GUANXI_DATA_DIR=str(data_dir), GUANXI_DATABASE_URL=url, GUANXI_ENV="test",
               GUANXI_SMTP_HOST="127.0.0.1", GUANXI_SMTP_PORT=str(mailbox_e2e.port), GUANXI_LOG_FORMAT="text",
               GUANXI_LOG_LEVEL="WARNING")
    SERVER_ENV.clear()
    SERVER_ENV.update(env)
    settings = load_settings(_env_file=None, data_dir=data_dir, database_url=url)
    runtime = build_runtime(settings)
    with transaction(runtime.factory) as session:
        staff_service.create_user(session, email=ADMIN[0], password=ADMIN[1], role="admin", locale="en")
        _, token = staff_service.create_token(session, name="e2e-seed", role="admin")
    runtime.dispose()
    with guanxi_server(env, data_dir, data_dir / "server.log") as base:
        _seed(base, token)
        yield base


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM:
        reason = "chromium is not installed (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"{reason}; CI=true, so the browser tests must run")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server, request, tmp_path):
    """A fresh browser context (no cookies) on the server; a screenshot is saved if the test fails."""
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900}, locale="en-US")
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    outcome = getattr(request.node, "rep_call", None)
    if outcome is not None and outcome.failed:
        shot = tmp_path / f"{request.node.name}.png"
        pg.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failure: {shot}")
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def screenshots_dir(tmp_path_factory) -> Path:
    """Where the tests save the screenshots a person looks at (GUANXI_SCREENSHOTS overrides)."""
    target = os.environ.get("GUANXI_SCREENSHOTS")
    path = Path(target) if target else tmp_path_factory.getbasetemp() / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path

