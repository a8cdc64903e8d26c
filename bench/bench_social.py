"""Mentions ingested with sentiment, aspects, keywords and fake-review checks, as the API's batches do.

    .venv/bin/python bench/bench_social.py [--mentions 100000] [--batch 1000] [--backend sqlite|postgresql]
                                           [--workers N]   (GUANXI_SOCIAL_SCORING_WORKERS: scoring processes)

Setup (not timed): a migrated database and generated Chinese and English posts, comments, reviews and
live-stream comments built from review phrases (so texts vary). Timed: `intake.take_in` batch by batch,
each in its own transaction (score, aspects, keywords, links, insert, fake-review flags, complaint
tickets). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import os
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SEED, cpu_seconds, database, emit, guanxi_env, peak_rss_mb, runtime_for, say, scratch_dir  # noqa: E402

ZH = ["物流很快", "包装很严实", "质量很好", "做工精细", "客服态度好", "性价比很高", "颜色和图片一样", "尺码偏小",
      "发货太慢了", "有色差", "味道一般", "请问什么时候发货", "会回购", "面料舒服", "不推荐", "还没用", "价格实惠"]
EN = ["fast shipping", "great quality", "runs small", "the color is off", "support was helpful", "took two weeks",
      "worth the price", "when will it ship?", "stopped working", "nice packaging", "would buy again"]
KINDS = ["post", "comment", "review", "live_comment"]
PLATFORMS = ["weibo", "douyin", "xiaohongshu", "wechat", "shop"]


def mentions(n: int, rng: random.Random, start: dt.datetime):
    from guanxi.social.ingest import MentionIn

    for i in range(n):
        zh = rng.random() < 0.7
        parts = rng.sample(ZH if zh else EN, rng.randint(2, 4))
        text = ("，" if zh else ", ").join(parts) + ("。" if zh else ".") + (f" #{i}" if rng.random() < 0.5 else "")
        kind = rng.choice(KINDS)
        yield MentionIn(rng.choice(PLATFORMS), f"b-{i}", kind, text, start + dt.timedelta(seconds=i * 3),
                        author_ref=f"u{rng.randint(1, n // 3)}", author_name=f"用户{i}",
                        author_followers=int(rng.paretovariate(1.2) * 10), product_sku=f"SKU-{rng.randint(1, 200)}",
                        rating=rng.randint(1, 5) if kind == "review" else None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=0, help="scoring processes (0: score in this process)")
    args = parser.parse_args()
    os.environ["GUANXI_SOCIAL_SCORING_WORKERS"] = str(args.workers)
    from guanxi.db import transaction
    from guanxi.social import scoring, sentiment
    from guanxi.social.intake import take_in
    from guanxi.social.settings import SocialSettings

    rng = random.Random(SEED)
    with scratch_dir("social") as tmp, database(args.backend, "social", tmp) as url:
        runtime = runtime_for(guanxi_env(tmp / "data", url))
        social = SocialSettings(_env_file=None, review_points=0)
        items = list(mentions(args.mentions, rng, dt.datetime(2026, 11, 1, tzinfo=dt.UTC)))
        sentiment.score("预热 warm up")  # load the models (not timed)
        scoring.warm(args.workers)         # start the scoring processes and load their models (not timed)
        say(f"ingesting {len(items)} mentions in batches of {args.batch} ({args.backend})")
        created = flagged = tickets = 0
        workers = scoring.worker_pids()
        load_before = os.getloadavg()[0]
        cpu0 = time.process_time(), sum(cpu_seconds(p) for p in workers)
        t0 = time.perf_counter()
        marks = []  # (mentions so far, seconds so far): does the rate fall as the table grows?
        for i in range(0, len(items), args.batch):
            with transaction(runtime.factory) as session:
                done = take_in(session, runtime.cipher, items[i:i + args.batch], social)
            if (i + args.batch) % max(args.batch, len(items) // 10) == 0:
                marks.append((i + args.batch, time.perf_counter() - t0))
            created += len(done.ingested.created)
            flagged += len(done.ingested.flagged)
            tickets += len(done.tickets)
        seconds = time.perf_counter() - t0
        cpu_main, cpu_workers = time.process_time() - cpu0[0], sum(cpu_seconds(p) for p in workers) - cpu0[1]
        load_after = os.getloadavg()[0]
        t1 = time.perf_counter()
        for m in items[:5000]:
            sentiment.score(m.text)
        score_rate = 5000 / (time.perf_counter() - t1)
        runtime.dispose()
        scoring.shutdown()
    emit("social_ingest", backend=args.backend, workers=args.workers, mentions=len(items), batch=args.batch, created=created,
         flagged=flagged, tickets=tickets, seconds=round(seconds, 2), per_second=round(created / seconds),
         sentiment_only_per_second=round(score_rate), cpu_seconds_main=round(cpu_main, 2),
         cpu_seconds_workers=round(cpu_workers, 2), cpu_ms_per_mention=round(1000 * (cpu_main + cpu_workers) / created, 3),
         per_second_by_tenth=[round((n1 - n0) / (t1 - t0)) for (n0, t0), (n1, t1) in zip([(0, 0.0), *marks], marks)],
         load_1min=[round(load_before, 2), round(load_after, 2)], peak_rss_mb=peak_rss_mb())


if __name__ == "__main__":
    main()
