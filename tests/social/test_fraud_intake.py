"""The fake-review check in the intake path, across batches: stored LSH bands find an earlier copy, bursts join
earlier young-account reviews, and both the new and the earlier mention are flagged for review (never hidden)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from guanxi.db import transaction
from guanxi.social.ingest import MentionIn, ingest
from guanxi.social.models import Mention, MentionBand

T0 = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
COPY = "质量非常好，物流也快，推荐大家购买！客服态度也很好"


def review(i, text, author, *, minutes=0, sku="TEA-1", since=None, rating=None):
    return MentionIn("shop", f"r-{i}", "review", text, T0 + dt.timedelta(minutes=minutes), author_ref=author,
                     product_sku=sku, author_since=since, rating=rating)


def _state(runtime, external_id):
    with transaction(runtime.factory) as s:
        m = s.scalar(select(Mention).where(Mention.external_id == external_id))
        return m.flags, m.flag_state, m.status


def test_a_copy_in_a_later_batch_flags_both_the_copy_and_the_earlier_review(runtime):
    with transaction(runtime.factory) as s:
        first = ingest(s, runtime.cipher, [review(1, COPY, "a"), review(2, "颜色很正，尺码合适，老公很喜欢。", "b")])
        assert first.flagged == []
        assert s.scalar(select(func.count()).select_from(MentionBand)) == 16  # 8 bands each
    with transaction(runtime.factory) as s:
        later = ingest(s, runtime.cipher, [review(3, COPY.replace("！", "!!"), "c", minutes=90)])
    assert len(later.flagged) == 2 and set(later.flagged) > set(later.created)
    assert _state(runtime, "r-3") == (["duplicate_text"], "flagged", "visible")
    assert _state(runtime, "r-1") == (["duplicate_text"], "flagged", "visible")
    assert _state(runtime, "r-2") == ([], "none", "visible")


def test_copies_by_the_same_author_other_products_or_older_than_a_month_are_not_flagged(runtime):
    with transaction(runtime.factory) as s:
        ingest(s, runtime.cipher, [review(1, COPY, "a"), review(2, COPY, "b", sku="MUG-1", minutes=-60 * 24 * 40)])
    with transaction(runtime.factory) as s:
        again = ingest(s, runtime.cipher, [review(3, COPY, "a", minutes=5),  # the same author
                                           review(4, COPY, "d", sku="CUP-9", minutes=5)])  # no other CUP-9 review
    assert again.flagged == []
    with transaction(runtime.factory) as s:
        # MUG-1's copy is 40 days old: outside the 30-day look-back
        late = ingest(s, runtime.cipher, [review(5, COPY, "e", sku="MUG-1", minutes=10)])
    assert late.flagged == []


def test_a_burst_spread_over_two_batches_flags_every_member(runtime):
    young = T0 - dt.timedelta(days=3)
    with transaction(runtime.factory) as s:
        ingest(s, runtime.cipher, [review(i, f"不错 第{i}条", f"n{i}", minutes=i * 5, since=young) for i in range(3)])
    with transaction(runtime.factory) as s:
        got = ingest(s, runtime.cipher, [review(i, f"不错 第{i}条", f"n{i}", minutes=i * 5, since=young)
                                         for i in range(3, 5)])
    assert len(got.flagged) == 5
    for i in range(5):
        assert _state(runtime, f"r-{i}")[0] == ["new_account_burst"]


def test_a_five_star_rating_over_a_negative_text_is_flagged_at_intake(runtime):
    with transaction(runtime.factory) as s:
        got = ingest(s, runtime.cipher, [review(1, "质量太差了，用了一天就坏了", "a", rating=5)])
    assert got.flagged == got.created
    assert _state(runtime, "r-1")[0] == ["rating_text_mismatch"]


def test_a_batch_sent_twice_adds_no_bands_and_no_flags(runtime):
    batch = [review(1, COPY, "a"), review(2, COPY, "b")]
    with transaction(runtime.factory) as s:
        assert len(ingest(s, runtime.cipher, batch).flagged) == 2
    with transaction(runtime.factory) as s:
        again = ingest(s, runtime.cipher, batch)
        assert again.created == [] and again.flagged == [] and again.duplicates == 2
        assert s.scalar(select(func.count()).select_from(MentionBand)) == 16


def test_scoring_in_worker_processes_gives_the_same_results_and_survives_a_dead_worker():
    import os
    import signal

    from guanxi.social import aspects, scoring

    texts = [f"物流很快，但是质量差 第{i}条" if i % 2 else f"Fast shipping but it stopped working #{i}"
             for i in range(scoring.MIN_POOLED)]
    try:
        pooled = scoring.analyse_many(texts, workers=2)
        assert pooled == [aspects.analyse(t) for t in texts]
        pool = scoring._get_pool(2)
        for pid in list(pool._processes):  # a worker killed from outside (OOM killer, operator)
            os.kill(pid, signal.SIGKILL)
        assert scoring.analyse_many(texts, workers=2) == pooled  # scored in-process this time
        assert scoring._pool is None  # the broken pool was dropped: the next batch gets a fresh one
        assert scoring.analyse_many(texts, workers=2) == pooled
    finally:
        scoring.shutdown()
