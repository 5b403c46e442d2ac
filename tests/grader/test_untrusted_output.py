"""Untrusted output is made safe."""

from grader.untrusted_output import safe_text


def test_escapes_controls_nuls_and_bad_utf8_are_neutralised() -> None:
    raw = b"ok\x00\x1b[31mred\x1b[0m\x1b]0;title\x07\xff\r\n\x9b\xe2\x80\xae!"
    text = safe_text(raw)
    assert text.startswith("ok")
    assert "red" in text and "!" in text
    for bad in ("\x00", "\x1b", "\x07", "\r", "\u202e"):
        assert bad not in text
    assert "\ufffd" in text


def test_limit_says_how_much_was_cut() -> None:
    text = safe_text("x" * 5000, limit=100)
    assert text.startswith("x" * 100) and "4900 more characters" in text
