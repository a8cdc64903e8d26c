"""The naive Bayes category classifier, pure: trained on a constructed labelled set of zh and en texts."""

from __future__ import annotations

import itertools

import pytest

from guanxi.service import classifier, taxonomy

# Ways customers describe three problems with words the keyword rules do not know, so the rules miss them.
PHRASES = {
    "logistics.late": ["快递三天都没动静", "物流信息一直不更新", "包裹卡在中转站", "the courier has not moved for days",
                       "tracking stuck at the depot", "parcel sitting in transit forever"],
    "product.quality": ["杯子有裂纹", "用了两次就裂开", "杯口有缺口", "the mug has a crack",
                        "handle snapped off after a week", "glaze is chipping everywhere"],
    "system.payment": ["银行卡被扣了钱但订单没成功", "付了钱订单还是待付款", "信用卡多扣一笔", "my bank shows money taken twice",
                       "card was billed but the order failed", "bank statement shows an extra debit"],
}
ENDINGS = ["", "，请尽快处理", "，怎么办", " please help", " what now", "！！"]


def labelled(phrases=PHRASES) -> list[tuple[int, str, str]]:
    rows, key = [], itertools.count(1)
    for label, texts in phrases.items():
        for text, ending in itertools.product(texts, ENDINGS):
            rows.append((next(key), text + ending, label))
    return rows


def test_words_cuts_chinese_with_jieba_and_lowercases_english():
    got = classifier.words("杯子碎了 Broken MUG, doesn't work!")
    assert "杯子" in got and "broken" in got and "mug" in got and "doesn't" in got
    assert "," not in got and " " not in got


def test_trained_model_predicts_unseen_texts_in_both_languages_with_a_confidence():
    rows = labelled()
    model = classifier.train([t for _, t, _ in rows], [y for _, _, y in rows])
    assert set(model.labels) == set(PHRASES)
    label, confidence = classifier.predict(model, "物流信息好几天不更新了")
    assert label == "logistics.late" and 0.5 < confidence <= 1
    assert classifier.predict(model, "The mug arrived with a crack in the glaze")[0] == "product.quality"
    assert classifier.predict(model, "银行卡扣了钱")[0] == "system.payment"
    assert classifier.predict(model, "xyzzy plugh") is None          # not one known word: no guess


def test_a_stored_model_predicts_the_same_after_json():
    rows = labelled()
    model = classifier.train([t for _, t, _ in rows], [y for _, _, y in rows])
    again = classifier.Model.from_json(model.to_json())
    for text in ("tracking stuck again", "杯子有裂纹", "extra debit on my card"):
        assert classifier.predict(again, text) == classifier.predict(model, text)


def test_the_held_out_split_is_fixed_by_id_and_about_a_quarter():
    held = [classifier.is_held_out(i) for i in range(1, 2001)]
    assert held == [classifier.is_held_out(i) for i in range(1, 2001)]
    assert 0.2 < sum(held) / len(held) < 0.3


def test_naive_bayes_is_used_when_it_beats_the_keyword_rules_on_the_held_out_tickets():
    result = classifier.evaluate(labelled(), taxonomy.DEFAULT_RULES)
    assert result.examples == 108 and 0 < result.held_out < result.examples
    assert result.naive_bayes > result.keywords
    assert result.naive_bayes >= 0.9 and result.keywords < 0.5
    assert result.use_model and classifier.predict(result.model, "包裹卡在中转站好几天")[0] == "logistics.late"


def test_the_keyword_rules_stay_when_naive_bayes_does_not_beat_them():
    # Texts made of the rules' own keywords: the rules are always right, so the model cannot beat them.
    words = {"logistics.late": ["还没到", "物流慢", "not arrived", "still waiting", "delayed", "催单"],
             "product.quality": ["质量", "坏了", "defective", "faulty", "瑕疵", "次品"],
             "system.payment": ["扣款", "重复扣", "charged twice", "double charge", "支付宝", "付款"]}
    result = classifier.evaluate(labelled(words), taxonomy.DEFAULT_RULES)
    assert result.keywords == 1.0 and result.naive_bayes <= result.keywords
    assert not result.use_model and result.model is None


@pytest.mark.parametrize("rows", [labelled()[::6], [(i, "物流慢", "logistics.late") for i in range(1, 60)]])
def test_too_few_tickets_or_one_category_keep_the_rules(rows):
    result = classifier.evaluate(rows, taxonomy.DEFAULT_RULES)
    assert result.naive_bayes is None and not result.use_model
    assert result.examples == len(rows)


def test_train_refuses_mismatched_input():
    with pytest.raises(ValueError):
        classifier.train(["a"], [])
