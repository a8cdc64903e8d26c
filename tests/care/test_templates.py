"""Templates: sandboxed, strict about variables, checked when saved."""

from __future__ import annotations

import pytest

from guanxi.care.templates import SAMPLE_CONTEXT, banned_words, render, validate
from guanxi.errors import Invalid


def test_renders_customer_and_offer():
    subject, body = validate("email", "zh-CN", "{{ customer.first_name }}，生日快乐",
                             "亲爱的{{ customer.name }}：送您{{ offer.title }}，券码 {{ offer.code }}。")
    assert subject == "小明，生日快乐"
    assert body == "亲爱的王小明：送您生日礼券 ¥20，券码 BDAY-8H2K。"


@pytest.mark.parametrize("body", [
    "Hello {{ customer.nickname }}",         # unknown field
    "Hello {{ cutsomer.name }}",             # typo in a name
    "{% for p in products %}{{ p.price }}{% endfor %}",
    "{{ offer.code.missing }}",
])
def test_missing_variable_fails_at_save(body):
    with pytest.raises(Invalid) as err:
        validate("sms", "en", None, body)
    assert "does not render" in err.value.detail


@pytest.mark.parametrize("body", [
    "{{ customer.__class__.__mro__ }}",
    "{{ ''.__class__.__subclasses__() }}",
    "{{ customer.items.__globals__ }}",
])
def test_sandbox_refuses_python_internals(body):
    with pytest.raises(Invalid):
        validate("sms", "en", None, body)


@pytest.mark.parametrize("body", ["{{ customer.name ", "{% if %}", "{% endfor %}"])
def test_syntax_error_fails_at_save(body):
    with pytest.raises(Invalid) as err:
        validate("sms", "en", None, body)
    assert "not a valid template" in err.value.detail


def test_email_needs_subject_and_channel_and_locale_are_known():
    with pytest.raises(Invalid, match="subject"):
        validate("email", "en", "", "Hi")
    with pytest.raises(Invalid, match="channel"):
        validate("fax", "en", None, "Hi")
    with pytest.raises(Invalid, match="locale"):
        validate("sms", "fr", None, "Hi")
    with pytest.raises(Invalid, match="body"):
        validate("sms", "en", None, "  ")


def test_sms_length_is_checked_on_the_rendered_text():
    with pytest.raises(Invalid, match="at most 500"):
        validate("sms", "en", None, "{% for i in range(200) %}{{ customer.name }}{% endfor %}")


def test_filters_and_conditions_work():
    _, body = render(None, "{% if personalised %}Hi {{ customer.name|upper }}{% else %}Hi{% endif %}, "
                           "{{ customer.points }} points", {**SAMPLE_CONTEXT, "customer": {**SAMPLE_CONTEXT["customer"], "name": "ann"}})
    assert body == "Hi ANN, 1200 points"


def test_banned_words():
    assert banned_words("全网最低价，第一品牌", None, "hello") == ["最低价", "第一", "全网最低"]
    assert banned_words("生日快乐") == []
