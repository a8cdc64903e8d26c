"""Care throughput: a campaign's audience queued (messages/s) and the outbox drained into a loopback
SMTP sink (e-mails/s, one worker).

    .venv/bin/python bench/bench_care.py [--small] [--customers N] [--backend sqlite|postgresql]

Targets from issue 7: 5,000 messages/s queued for 200,000 customers, 500 e-mails/s per worker.
Besides wall-clock rates it records the process's CPU time per message (the machine is shared, so
wall-clock alone says as much about the neighbours as about the code) and the load average. The SMTP
sink runs in this process, so the drain's CPU time includes receiving the mail as well.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import database, emit, free_port, guanxi_env, runtime_for, say, scratch_dir  # noqa: E402


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    n = args.customers or (2_000 if args.small else 20_000)

    from aiosmtpd.controller import Controller
    from sqlalchemy import insert

    from guanxi.care import campaigns, template_store
    from guanxi.care.campaigns import CampaignSpec
    from guanxi.care.delivery import run_drain
    from guanxi.care.settings import CareSettings
    from guanxi.care.triggers import run_triggers
    from guanxi.customers.identity import resolve_people
    from guanxi.customers.models import Consent
    from guanxi.customers.records import IdentityKey, PersonIn
    from guanxi.db import transaction, utcnow
    from guanxi.staff.roles import SYSTEM

    with scratch_dir("care") as tmp, database(args.backend, "care", tmp) as url:
        rt = runtime_for(guanxi_env(tmp / "data", url))
        say(f"{n} customers on {args.backend}")
        with transaction(rt.factory) as session:
            people = [PersonIn(identities=[IdentityKey("email", "", f"c{i}@bench.example")], name=f"客户{i}")
                      for i in range(n)]
            ids = [cid for cid, _ in resolve_people(session, rt.cipher, people)]
            now = utcnow()
            session.execute(insert(Consent), [{"customer_id": cid, "channel": "email", "purpose": "marketing",
                                               "granted": True, "at": now, "source": "bench"} for cid in ids])
            template_store.save_template(session, SYSTEM, name="b", channel="email", locale="zh-CN",
                                         subject="{{ customer.first_name }}，会员日快乐",
                                         body="亲爱的{{ customer.name }}：今天是会员日。")
            c = campaigns.create_campaign(session, SYSTEM, CampaignSpec(
                name="bench", channels=["email"], variants=[{"name": "A", "template": "b", "weight": 1}],
                audience={"customer_ids": ids}))
            campaigns.set_status(session, SYSTEM, c.id, "active")
        sink = Sink()
        port = free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        rt.settings.smtp_host, rt.settings.smtp_port = "127.0.0.1", port
        care = CareSettings(_env_file=None, quiet_hours="00:00-00:00", caps="", batch_size=500)
        load_before = os.getloadavg()
        t0, c0 = time.perf_counter(), time.process_time()
        result = run_triggers(rt.factory, rt.cipher, rt.secrets.session_secret, care)
        queue_s, queue_cpu = time.perf_counter() - t0, time.process_time() - c0
        queued = sum(r["queued"] for r in result.values())
        say(f"queued {queued} in {queue_s:.1f}s")
        t0, c0 = time.perf_counter(), time.process_time()
        report = run_drain(rt.factory, rt.settings, rt.cipher, rt.secrets.session_secret, care, owner="bench")
        drain_s, drain_cpu = time.perf_counter() - t0, time.process_time() - c0
        controller.stop()
        say(f"sent {report['sent']} in {drain_s:.1f}s (sink got {sink.count})")
        rt.dispose()
        emit("care", backend=args.backend, customers=n, queued=queued,
             queued_per_s=round(queued / queue_s, 1), queue_s=round(queue_s, 2),
             queue_cpu_us_per_msg=round(queue_cpu / max(queued, 1) * 1e6, 1), sent=report["sent"],
             sink_received=sink.count, emails_per_s=round(report["sent"] / drain_s, 1), drain_s=round(drain_s, 2),
             drain_cpu_us_per_msg=round(drain_cpu / max(report["sent"], 1) * 1e6, 1),
             load_average_before=[round(x, 2) for x in load_before],
             load_average_after=[round(x, 2) for x in os.getloadavg()])


if __name__ == "__main__":
    main()
