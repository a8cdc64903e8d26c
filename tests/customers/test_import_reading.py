"""Reading import files without a database: encodings, CSV rows and their line numbers, cell values."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from guanxi.customers.importing import cells
from guanxi.customers.importing.cells import CellError
from guanxi.customers.importing.reader import NotText, TextFile, detect_encoding
from guanxi.errors import Invalid

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHINESE = "姓名,城市\n张伟,上海\n李娜,广州\n"


@pytest.mark.parametrize("encoding, detected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                ("gbk", "gb18030"), ("gb18030", "gb18030")])
def test_encodings_are_told_apart(tmp_path, encoding, detected):
    path = tmp_path / "people.csv"
    path.write_bytes(CHINESE.encode(encoding))
    with TextFile(path) as f:
        header, rows = f.csv_rows()
        assert f.encoding == detected
        assert header == ["姓名", "城市"]
        assert [(r.line, r.cells) for r in rows] == [(2, {"姓名": "张伟", "城市": "上海"}),
                                                     (3, {"姓名": "李娜", "城市": "广州"})]
        assert f.bytes_read() == path.stat().st_size


def test_a_multibyte_character_cut_by_the_sample_is_still_utf8():
    text = ("名" * 30000).encode()
    assert detect_encoding(text[:64 * 1024]) == "utf-8"


@pytest.mark.parametrize("head", [b"PK\x03\x04\x14\x00\x06\x00", b"\xff\xfen\x00a\x00", b"\xd0\xcf\x11\xe0\x00\x00"])
def test_binary_and_utf16_files_are_refused(head):
    with pytest.raises(NotText):
        detect_encoding(head + b"\x00" * 100)


def test_rows_keep_their_starting_line_and_bad_rows_stand_alone(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('a,b\r\n1,"two\nlines"\r\n\r\n3,4,5\r\n6\r\n7,\xff8\r\n', encoding="utf-8")
    path.write_bytes(path.read_bytes().replace("\xff".encode(), b"\xff"))  # one byte that is not UTF-8
    with TextFile(path) as f:
        _, rows = f.csv_rows()
        rows = list(rows)
    assert [r.line for r in rows] == [2, 5, 6, 7]
    assert rows[0].cells == {"a": "1", "b": "two\nlines"}
    assert rows[1].error and "3 cells" in rows[1].error
    assert rows[2].cells == {"a": "6"} and rows[2].get("b") == ""
    assert rows[3].undecodable() == "b"


def test_tab_and_semicolon_separated(tmp_path):
    for sep in ("\t", ";"):
        path = tmp_path / "x.csv"
        path.write_text(f"a{sep}b\n1,5{sep}2\n")
        with TextFile(path) as f:
            _, rows = f.csv_rows()
            assert next(rows).cells == {"a": "1,5", "b": "2"}


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("\n")
    with TextFile(path) as f, pytest.raises(Invalid):
        f.csv_rows()


@pytest.mark.parametrize("text, expected", [
    ("2026-11-11T10:00:00+08:00", dt.datetime(2026, 11, 11, 2, tzinfo=dt.UTC)),
    ("2026-11-11 10:00:00 +0800", dt.datetime(2026, 11, 11, 2, tzinfo=dt.UTC)),
    ("2026/11/11 10:00", dt.datetime(2026, 11, 11, 2, tzinfo=dt.UTC)),
    ("2026-1-5", dt.datetime(2026, 1, 4, 16, tzinfo=dt.UTC)),
    ("2026-11-11T10:00:00Z", dt.datetime(2026, 11, 11, 10, tzinfo=dt.UTC)),
    ("２０２６-１１-１１ 10:00:00.5 UTC", dt.datetime(2026, 11, 11, 10, 0, 0, 500000, tzinfo=dt.UTC)),
])
def test_timestamps(text, expected):
    assert cells.timestamp("placed_at", text, SHANGHAI) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2026-02-30", "2026-13-01 10:00", "1890-01-01", "11/11/2026"])
def test_bad_timestamps(text):
    with pytest.raises(CellError) as err:
        cells.timestamp("placed_at", text, SHANGHAI)
    assert err.value.column == "placed_at" and err.value.value == text


def test_amounts_are_exact_minor_units():
    assert cells.amount("total", "29.33", "USD") == 2933
    assert cells.amount("total", "1,299.50", "CNY") == 129950
    assert cells.amount("total", "¥25.80", "CNY") == 2580
    assert cells.amount("total", "１２", "JPY") == 12
    assert cells.amount("total", "", "CNY", default=0) == 0
    for bad, reason in [("-1.00", "negative"), ("12abc", "not an amount"), ("1.005", "decimals"), ("", "missing")]:
        with pytest.raises(CellError, match=reason):
            cells.amount("total", bad, "CNY")


def test_counts_currencies_and_yes_no():
    assert cells.count("quantity", "3") == 3 and cells.count("quantity", "2.0") == 2
    for bad, reason in [("-2", "negative"), ("0", "at least 1"), ("1.5", "whole"), ("", "missing")]:
        with pytest.raises(CellError, match=reason):
            cells.count("quantity", bad)
    assert cells.currency("currency", "usd") == "USD" and cells.currency("currency", "", "CNY") == "CNY"
    with pytest.raises(CellError, match="ISO 4217"):
        cells.currency("currency", "RMBX")
    assert cells.yes_no("x", "Yes") is True and cells.yes_no("x", "否") is False and cells.yes_no("x", "") is None
    with pytest.raises(CellError):
        cells.yes_no("x", "maybe")
