"""Crisis detection on constructed series: a pure function, written before the code it tests."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import given, settings, strategies as st

from guanxi.social import crisis
from guanxi.social.crisis import HourBucket, MentionSignal

T0 = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)


def hours(values: list[float]) -> list[HourBucket]:
    """A history ending the hour before T0, oldest first."""
    n = len(values)
    return [HourBucket(T0 - dt.timedelta(hours=n - i), weighted_negative=v, negative=round(v), total=round(v) * 4)
            for i, v in enumerate(values)]


def steady(n: int = 168, mean: float = 4.0, seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    return [float(sum(rng.random() < mean / 20 for _ in range(20))) for _ in range(n)]


def plain(text: str, followers: int = 10, label: str = "negative") -> MentionSignal:
    return MentionSignal(text=text, label=label, followers=followers)


def test_reach_weight_grows_slowly_with_followers():
    assert crisis.reach_weight(0) == 1.0
    assert 1.0 < crisis.reach_weight(1_000) < crisis.reach_weight(1_000_000) <= 4.0
    assert crisis.reach_weight(10**12) == crisis.reach_weight(10**9)  # capped


def test_a_quiet_hour_like_the_baseline_raises_nothing():
    history = hours(steady())
    now = HourBucket(T0, weighted_negative=5, negative=5, total=20)
    assert crisis.detect(history, now, []) is None


def test_a_spike_of_negative_volume_against_the_baseline_raises_a_volume_signal():
    history = hours(steady())
    now = HourBucket(T0, weighted_negative=30, negative=30, total=40)
    got = crisis.detect(history, now, [])
    assert got is not None and "volume" in got.reasons
    assert got.z >= crisis.Thresholds().z and got.p_value < 0.001
    assert got.severity == "high"


def test_a_small_shop_with_no_history_needs_a_minimum_volume():
    # From zero to three is a big z-score but not yet a crisis.
    assert crisis.detect(hours([0.0] * 48), HourBucket(T0, 3, 3, 3), []) is None
    got = crisis.detect(hours([0.0] * 48), HourBucket(T0, 12, 12, 12), [])
    assert got is not None and "volume" in got.reasons


def test_a_noisy_baseline_needs_a_bigger_spike():
    noisy = [0.0, 16.0] * 84
    assert crisis.detect(hours(noisy), HourBucket(T0, 20, 20, 40), []) is None
    assert crisis.detect(hours(noisy), HourBucket(T0, 60, 60, 80), []) is not None


def test_alert_keywords_from_big_accounts_raise_a_keyword_signal_without_volume():
    history = hours(steady())
    now = HourBucket(T0, 3, 3, 20)
    one_small = [plain("这家卖假货", followers=20)]
    assert crisis.detect(history, now, one_small) is None
    kol = [plain("曝光：这家店卖假货，已向315投诉", followers=2_000_000)]
    got = crisis.detect(history, now, kol)
    assert got is not None and "keywords" in got.reasons
    assert set(got.keywords) >= {"假货", "315", "投诉"}


def test_many_small_accounts_with_alert_keywords_add_up():
    history = hours(steady())
    crowd = [plain(f"充电宝有安全问题 #{i}", followers=50) for i in range(4)]
    got = crisis.detect(history, HourBucket(T0, 4, 4, 20), crowd)
    assert got is not None and got.keywords["安全"] == 4


def test_keywords_in_positive_mentions_do_not_count():
    history = hours(steady())
    praise = [plain("绝对不是假货，安全放心", followers=5_000_000, label="positive")]
    assert crisis.detect(history, HourBucket(T0, 3, 3, 20), praise) is None


def test_english_alert_keywords():
    got = crisis.detect(hours(steady()), HourBucket(T0, 3, 3, 20),
                        [plain("Counterfeit charger caught fire, filing a complaint", followers=500_000)])
    assert got is not None and {"counterfeit", "fire", "complaint"} <= set(got.keywords)


def test_bucketing_weights_negative_mentions_by_reach():
    items = [(T0 + dt.timedelta(minutes=5), "negative", 0), (T0 + dt.timedelta(minutes=50), "negative", 1_000_000),
             (T0 + dt.timedelta(minutes=59), "positive", 10), (T0 + dt.timedelta(hours=1), "negative", 0)]
    got = crisis.buckets(items, T0, T0 + dt.timedelta(hours=2))
    assert [b.hour for b in got] == [T0, T0 + dt.timedelta(hours=1)]
    assert got[0].negative == 2 and got[0].total == 3
    assert got[0].weighted_negative == crisis.reach_weight(0) + crisis.reach_weight(1_000_000)
    assert got[1].negative == 1


def test_empty_hours_are_filled_with_zeros():
    got = crisis.buckets([], T0, T0 + dt.timedelta(hours=3))
    assert [b.total for b in got] == [0, 0, 0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=50), min_size=0, max_size=200), st.floats(min_value=0, max_value=500))
def test_more_negative_volume_never_makes_the_signal_go_away(history, x):
    hist = hours(history)
    low = crisis.detect(hist, HourBucket(T0, x, int(x), int(x)), [])
    high = crisis.detect(hist, HourBucket(T0, x + 10, int(x) + 10, int(x) + 10), [])
    if low is not None:
        assert high is not None and high.z >= low.z
