"""The service desk settings page (root causes, canned replies, surveys) and the rates report page."""

from __future__ import annotations

import re

from tests.service.test_pages import _staff
from tests.web.forms import post_form

PAGE = "/service/settings"


def test_edit_root_causes_and_canned_replies_on_the_page(client, runtime, desk):
    _staff(client, runtime)
    html = client.get(PAGE).text
    assert 'data-cause="carrier"' in html and 'data-canned="apology"' in html
    assert html.count('name="csrf_token" value="') > 5 and 'name="csrf_token" value=""' not in html   # every form
    r = post_form(client, PAGE, f"{PAGE}/root-causes", {"code": "packaging", "name_en": "Packaging", "name_zh": "包装"},
                  follow_redirects=False)
    assert r.status_code == 303
    r = post_form(client, PAGE, f"{PAGE}/root-causes", {"code": "Bad!", "name_en": "x", "name_zh": "y"})
    assert r.status_code == 422 and "lower-case" in r.text and 'value="Bad!"' in r.text   # the form comes back filled
    r = post_form(client, PAGE, f"{PAGE}/root-causes/packaging/active", {"active": "0"}, follow_redirects=False)
    assert r.status_code == 303
    row = re.search(r'<tr data-cause="packaging">.*?</tr>', client.get(PAGE).text, re.S).group(0)
    assert "Retired" in row and "Bring back" in row

    reply = {"key": "late_parcel", "title_en": "Parcel is late", "title_zh": "包裹延误", "status": "waiting",
             "body_en": "Dear $customer, sorry.", "body_zh": "$customer 您好，抱歉。", "tag": "late"}
    r = post_form(client, PAGE, f"{PAGE}/canned-replies", {**reply, "body_en": "Dear $client"})
    assert r.status_code == 422 and "$client" in r.text and "Dear $client" in r.text
    assert post_form(client, PAGE, f"{PAGE}/canned-replies", reply, follow_redirects=False).status_code == 303
    edit = client.get(f"{PAGE}?edit=late_parcel").text
    assert 'value="Parcel is late"' in edit and '<option value="waiting" selected>' in edit
    r = post_form(client, PAGE, f"{PAGE}/canned-replies", {**reply, "title_en": "Late parcel"}, follow_redirects=False)
    assert r.status_code == 303 and "Late parcel" in client.get(PAGE).text
    assert post_form(client, PAGE, f"{PAGE}/canned-replies/apology/active", {"active": "0"},
                     follow_redirects=False).status_code == 303


def test_define_and_send_a_survey_on_the_page(client, auth, runtime, customer, desk):
    cid, _, _ = customer()
    _staff(client, runtime)
    questions = ("rating; overall; How was it?; 满意吗？\n"
                 "choice; found; Where did you find us?; 从哪里知道？; required; wechat=WeChat/微信, friend=A friend/朋友\n"
                 "text; why; Anything else?; 还有吗？; optional\n")
    r = post_form(client, PAGE, f"{PAGE}/surveys", {"code": "after", "title_en": "After", "title_zh": "回访",
                                                     "questions": "choice; found; Where?; 哪里？; required; wechat=WeChat/微信"})
    assert r.status_code == 422 and "at least two options" in r.text
    r = post_form(client, PAGE, f"{PAGE}/surveys", {"code": "after", "title_en": "After", "title_zh": "回访",
                                                     "questions": questions}, follow_redirects=False)
    assert r.status_code == 303
    assert re.search(r'data-survey="after">.*?<td>3</td>', client.get(PAGE).text, re.S)
    r = post_form(client, PAGE, f"{PAGE}/surveys/after/send", {"customer_id": str(cid)})
    assert r.status_code == 200
    link = re.search(r'id="sent-link">.*?<code>([^<]+)</code>', r.text, re.S).group(1)
    survey = client.get("/s/" + link.rsplit("/", 1)[1], headers={"Accept-Language": "en"}).text
    assert "How was it?" in survey and "A friend" in survey and "Anything else?" in survey


def test_rates_page_in_both_languages(client, runtime, customer, desk):
    customer()
    _staff(client, runtime)
    html = client.get("/service/reports/rates").text
    assert "Complaint and return rates" in html and 'id="rates-product"' in html and 'data-key="MUG-1"' in html
    assert client.get("/service/reports/rates?since=2026-13-01").status_code == 422
    client.cookies.set("guanxi_locale", "zh-CN")   # the language buttons' choice wins over the staff setting
    zh = client.get("/service/reports/rates")
    assert "投诉率" in zh.text
