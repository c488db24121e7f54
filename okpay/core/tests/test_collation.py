"""core.collation: Chinese sorts by pinyin from derived data (not code points), English
alphabetically with accents and case only as tie-breakers; the pinyin data covers every Han
character of CLDR's Chinese country names and is what scripts/han_pinyin_order.py derives."""

import unicodedata
from pathlib import Path

import pytest
from babel import Locale

from okpay.core.collation import ORDER_FILE, han_ranks, sort_key
from okpay.core.money import countries_sorted

GLIBC_PINYIN = Path("/usr/share/i18n/locales/iso14651_t1_pinyin")


def test_chinese_sorts_by_pinyin_not_code_point():
    names = ["中国", "英国", "德国", "法国", "澳大利亚", "巴西", "日本", "美国"]
    ordered = sorted(names, key=lambda n: sort_key(n, "zh-hans"))
    assert ordered == ["澳大利亚", "巴西", "德国", "法国", "美国", "日本", "英国", "中国"]
    assert sorted(names) != ordered  # code point order is different


def test_chinese_puts_a_shorter_name_first_and_han_before_latin():
    ordered = sorted(["中国香港特别行政区", "中国", "Zeta", "阿富汗"], key=lambda n: sort_key(n, "zh-hans"))
    assert ordered == ["阿富汗", "中国", "中国香港特别行政区", "Zeta"]


def test_english_ignores_accents_and_case_except_to_break_ties():
    names = ["Zambia", "Albania", "Åland Islands", "Côte d’Ivoire", "cuba", "Colombia", "Curaçao"]
    ordered = sorted(names, key=lambda n: sort_key(n, "en"))
    assert ordered == ["Åland Islands", "Albania", "Colombia", "Côte d’Ivoire", "cuba", "Curaçao", "Zambia"]


def test_the_key_follows_the_active_language_and_odd_input_does_not_fail():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert sort_key("中国") == sort_key("中国", "zh-hans")
    with translation.override("en"):
        assert sort_key("中国") == sort_key("中国", "en")
    for text in ("", None, "\x00", "𠀀" * 3, "\ud800", "😀"):
        assert sort_key(text, "zh-hans") is not None and sort_key(text, "en") is not None


def test_countries_sorted_uses_cldr_names_in_the_language():
    assert countries_sorted(["GB", "cn", "DE"], "zh-hans") == [("DE", "德国"), ("GB", "英国"), ("CN", "中国")]
    assert countries_sorted(["GB", "CN", "DE"], "en") == [
        ("CN", "China"),
        ("DE", "Germany"),
        ("GB", "United Kingdom"),
    ]


def test_pinyin_data_covers_every_han_character_of_cldr_chinese_country_names():
    names = Locale.parse("zh_Hans").territories.values()
    han = {c for name in names for c in name if unicodedata.name(c, "").startswith("CJK UNIFIED")}
    assert len(han) > 200
    assert sorted(han - set(han_ranks())) == []


@pytest.mark.skipif(not GLIBC_PINYIN.exists(), reason="glibc's pinyin collation source is not installed")
def test_pinyin_data_is_what_the_script_derives_from_glibc():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "han_pinyin_order", Path(__file__).resolve().parents[3] / "scripts" / "han_pinyin_order.py"
    )
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    committed = "".join(
        line for line in ORDER_FILE.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    )
    assert script.han_order(GLIBC_PINYIN) == committed
