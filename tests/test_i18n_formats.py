"""Dates, times and lists in each UN language written as that language writes them (issue 10,
items 8 and 9): short dates in the locale's own order ("12月13日周三", not "周三 13 12月"), a date
and a time joined with the locale's own separator (no Latin comma in Chinese or Arabic), lists
with the locale's own words, and one time style per language (English in the UN's style)."""

from __future__ import annotations

import re
from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from markupsafe import Markup

from dashboard.domain.loader import load_programme
from dashboard.domain.timeline import Say, screen_state
from dashboard.i18n import UN_LANGUAGES, Formatter
from dashboard.live.render import Renderer
from tests.conftest import SHIPPED_NOTE

NY = ZoneInfo("America/New_York")
WEDNESDAY = date(2023, 12, 13)
AT = datetime(2023, 12, 13, 15, 15, tzinfo=NY)


@pytest.mark.parametrize(
    ("language", "short"),
    [
        ("en", "Wed 13 Dec"),
        ("zh", "12月13日周三"),
        ("ar", "الأربعاء، 13 ديسمبر"),
        ("fr", "mer. 13 déc."),
        ("ru", "ср, 13 дек."),
        ("es", "mié, 13 dic"),
    ],
)
def test_short_dates_follow_the_locale_s_own_order(language: str, short: str) -> None:
    assert Formatter(language).day_short(WEDNESDAY) == short


@pytest.mark.parametrize(
    ("language", "written"),
    [
        ("en", "Wed 13 Dec, 3.15 p.m."),
        ("zh", "12月13日周三 15:15"),
        ("ar", "الأربعاء، 13 ديسمبر، 3:15 م"),
        ("fr", "mer. 13 déc., 15:15"),
    ],
)
def test_a_date_and_a_time_are_joined_as_the_locale_joins_them(language: str, written: str) -> None:
    assert Formatter(language).date_time(AT) == written


@pytest.mark.parametrize("language", ["zh", "ar"])
def test_no_latin_comma_in_chinese_or_arabic(language: str) -> None:
    fmt = Formatter(language)
    assert "," not in fmt.date_time(AT)
    assert "," not in fmt.join_date_time(fmt.day(WEDNESDAY), fmt.time_range(AT, AT))
    assert "," not in fmt.list_of(["5", "6", "7"])


@pytest.mark.parametrize(
    ("language", "written"),
    [
        ("en", "5, 6 and 7"),  # the UN's English: no comma before "and"
        ("zh", "5、6和7"),
        ("ar", "5 و6 و7"),
        ("fr", "5, 6 et 7"),
        ("ru", "5, 6 и 7"),
        ("es", "5, 6 y 7"),
    ],
)
def test_lists_use_the_locale_s_words(language: str, written: str) -> None:
    assert Formatter(language).list_of(["5", "6", "7"]) == written
    assert Formatter(language).list_of(["5"]) == "5"


@pytest.mark.parametrize(("language", "word"), [("en", " and "), ("zh", "和"), ("ar", " و")])
def test_a_list_of_markup_is_markup(language: str, word: str) -> None:
    """Names each in a template's <bdi> (the console's "You may act on"): kept as markup, the
    plain items escaped."""
    items = [Markup("<bdi>A &amp; B</bdi>"), "<C>"]
    joined = Formatter(language).list_of(items)
    assert isinstance(joined, Markup)
    assert joined == f"<bdi>A &amp; B</bdi>{word}&lt;C&gt;"
    assert "\x00" not in Formatter(language).list_of([Markup("<b>x</b>")] * 3)


def test_markup_stays_markup_and_the_rest_is_escaped() -> None:
    fmt = Formatter("zh")
    joined = fmt.join_date_time(Markup('<span class="nowrap">12月13日周三</span>'), "<15:15>")
    assert isinstance(joined, Markup)
    assert joined == '<span class="nowrap">12月13日周三</span> &lt;15:15&gt;'


@pytest.mark.parametrize(
    ("language", "times"),
    [
        ("en", ["12 a.m.", "9.05 a.m.", "12 p.m.", "3.15 p.m."]),
        ("fr", ["00:00", "09:05", "12:00", "15:15"]),
        ("zh", ["00:00", "09:05", "12:00", "15:15"]),
        ("ar", ["12:00 ص", "9:05 ص", "12:00 م", "3:15 م"]),
    ],
)
def test_one_time_style_per_language(language: str, times: list[str]) -> None:
    """The locale's short time (the pages' scripts write the same: tests/browser)."""
    instants = [AT.replace(hour=h, minute=m) for h, m in ((0, 0), (9, 5), (12, 0), (15, 15))]
    assert [Formatter(language).time(t) for t in instants] == times


def test_a_meeting_on_another_day_reads_in_the_locale_s_order() -> None:
    # Wednesday evening: the next meeting is Thursday's, shown with its day.
    programme = load_programme(SHIPPED_NOTE.read_bytes(), "x.txt").programme
    state = screen_state(programme, datetime(2023, 12, 13, 19, tzinfo=NY))
    assert state.next is not None
    template = '{% import "macros.html" as m %}{{ m.when(s.next, s) }}'
    written = {
        language: Renderer(language).env.from_string(template).render(s=state)
        for language in UN_LANGUAGES
    }
    # The range is one unbreakable span (a line never cuts "10 a.m.–1 p.m."); the words around.
    assert all('<span class="times">' in w for w in written.values())
    written = {language: re.sub(r"<[^>]+>", "", w) for language, w in written.items()}
    assert written["en"] == "Thursday 14 December, 10 a.m.–1 p.m."
    assert written["zh"] == "2023年12月14日星期四 10:00–13:00"
    assert written["ar"] == "الخميس، 14 ديسمبر 2023، 10:00 ص–1:00 م"


def test_an_end_the_note_did_not_print_is_said_to_be_about() -> None:
    """ "10 a.m. Opening": the note printed the start alone; the end is the parser's default."""
    note = (
        "Committee X First session New York, 11–15 December 2023\n\nWednesday, 13 December\n"
        "10 a.m.\tOpening of the session\n3–6 p.m.\tAgenda item 5\n"
    )
    programme = load_programme(note.encode(), "x.txt").programme
    state = screen_state(programme, datetime(2023, 12, 13, 9, tzinfo=NY))
    assert state.next is not None and state.next.end_estimated
    template = (
        '{% import "macros.html" as m %}{{ m.when(s.next, s) }}|{{ m.time_range(s.today[1]) }}'
    )
    written = {
        language: re.sub(
            r"<[^>]+>", "", Renderer(language).env.from_string(template).render(s=state)
        )
        for language in UN_LANGUAGES
    }
    assert written["en"] == "10\u00a0a.m., until about 1\u00a0p.m.|3–6 p.m."
    assert written["fr"] == "10:00, jusqu’à 13:00 environ|15:00–18:00"
    assert written["ar"].startswith("10:00\u00a0ص، حتى 1:00\u00a0م تقريبًا")
    assert all("until about" not in w for lang, w in written.items() if lang != "en")


def test_a_day_without_meetings_says_so_all_day() -> None:
    """ "Wednesday, 13 December   Official United Nations holiday": no "In session" that day."""
    note = (
        "Committee X First session New York, 11–15 December 2023\n\n"
        "Wednesday, 13 December   Official United Nations holiday\n"
        "Thursday, 14 December\n10 a.m.–1 p.m.\tOpening of the session\n"
    )
    programme = load_programme(note.encode(), "x.txt").programme
    state = screen_state(programme, datetime(2023, 12, 13, 11, tzinfo=NY))
    assert state.current is not None and state.current.kind == "holiday"
    assert state.headline.say == Say.DAY_OFF
    template = '{% import "macros.html" as m %}{{ m.band(v) }}|{{ m.time_range(v.state.current) }}'
    view = SimpleNamespace(state=state, since=datetime(2023, 12, 13, 11, tzinfo=NY))
    rendered = {
        language: Renderer(language).env.from_string(template).render(v=view)
        for language in UN_LANGUAGES
    }
    written = {k: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", w)) for k, w in rendered.items()}
    assert written["en"].strip() == "No meeting today |All day"
    assert written["fr"].strip().endswith("|Toute la journée")
    assert all("In session" not in w for w in written.values())
