from datetime import date

import pytest

from guanxi.analytics.cdnow import CdnowPurchase, read_cdnow


def test_reads_both_published_layouts(cdnow_path):
    sample = list(read_cdnow(cdnow_path("CDNOW_sample.txt")))
    master = list(read_cdnow(cdnow_path("CDNOW_master.txt")))
    assert (len(sample), len({row.customer_id for row in sample})) == (6919, 2357)
    assert (len(master), len({row.customer_id for row in master})) == (69659, 23570)
    assert sample[0] == CdnowPurchase("00004", date(1997, 1, 1), 2, 2933)
    assert master[0] == CdnowPurchase("00001", date(1997, 1, 1), 1, 1177)
    # The sample's ids are master ids: every sample row is a master row.
    assert set(sample) <= set(master)


def test_amounts_are_exact_cents(tmp_path):
    path = tmp_path / "log.txt"
    path.write_text(" 00007 19970301  3   0.29\n 00007 19970302  1   1234.5\n 00008 0002 19970101 1 7\n")
    assert [row.amount_minor for row in read_cdnow(path)] == [29, 123450, 700]


@pytest.mark.parametrize(
    "line, complaint",
    [
        (" 00007 1997-03-01  3   10.00", "not YYYYMMDD"),
        (" 00007 19970301  3", r"4 \(master\) or 5 \(sample\) columns"),
        (" 00007 19970301  3   ten", "not a number"),
        (" 00007 19970301  3   1.005", "fractions of a cent"),
        (" 00007 19971301  3   1.00", "month must be in 1..12"),
    ],
)
def test_a_bad_row_names_the_file_and_line(tmp_path, line, complaint):
    path = tmp_path / "log.txt"
    path.write_text(f" 00001 19970101  1   11.77\n\n{line}\n")
    rows = read_cdnow(path)
    assert next(rows).customer_id == "00001"
    with pytest.raises(ValueError, match=rf"log.txt:3: .*{complaint}"):
        next(rows)
