"""Text at the domain's boundary: control characters, lone surrogates, lengths (issue 16, 1)."""

from __future__ import annotations

import pytest

from domain.errors import InvalidValue
from domain.text import MAX_TEXT, items, text


@pytest.mark.parametrize("bad", ["lý do\x00x", "a\x1bb", "a\x7fb", "a\x85b", "x\ud800y"])
def test_control_characters_and_lone_surrogates_are_refused(bad: str) -> None:
    for multiline in (False, True):
        with pytest.raises(InvalidValue, match=r"contains a (control character|lone surrogate)"):
            text(bad, "reason", multiline=multiline)


def test_line_breaks_and_tabs_only_where_a_field_is_multi_line() -> None:
    for value in ("dòng 1\ndòng 2", "a\tb", "windows\r\nline"):
        assert text(value, "note", multiline=True) == value
        with pytest.raises(InvalidValue, match="control character"):
            text(value, "document")


def test_the_message_names_the_character_and_where() -> None:
    with pytest.raises(InvalidValue) as raised:
        text("lý do\x00x", "reason", multiline=True)
    assert str(raised.value) == "reason contains a control character (U+0000) at position 5"


def test_ordinary_vietnamese_text_and_the_bounds() -> None:
    assert text("Giấy khai sinh (bản sao) – số 12/2026", "document") == (
        "Giấy khai sinh (bản sao) – số 12/2026"
    )
    with pytest.raises(InvalidValue, match="longer than"):
        text("x" * (MAX_TEXT + 1), "note")
    with pytest.raises(InvalidValue, match="must not be empty"):
        text("  ", "reason")
    with pytest.raises(InvalidValue, match="documents contains a control character"):
        items(["Tờ khai", "Giấy\x00chứng sinh"], "documents")
