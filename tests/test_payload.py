"""Texts are measured and cut the way Telegram counts them (UTF-16 code units)."""

from __future__ import annotations

from bot.payload import TEXT_LIMIT, fit_text, telegram_length


def test_emoji_count_twice() -> None:
    assert telegram_length("hei") == 3
    assert telegram_length("🌿") == 2
    assert telegram_length("ä") == 1


def test_a_short_text_is_left_alone() -> None:
    assert fit_text("Broadcast #1\nWalking group: removed the bot", TEXT_LIMIT) == (
        "Broadcast #1\nWalking group: removed the bot"
    )


def test_a_long_report_of_emoji_names_is_cut_at_a_line_within_the_limit() -> None:
    lines = ["Broadcast #7: delivered to 0 of 900 groups."]
    lines += [f"🌿 Kävelyryhmä {n}: removed the bot" for n in range(900)]
    text = "\n".join(lines)
    assert len(text) < 40_000 and telegram_length(text) > TEXT_LIMIT

    cut = fit_text(text, TEXT_LIMIT)

    assert telegram_length(cut) <= TEXT_LIMIT
    assert cut.endswith("\n…")
    kept = cut.removesuffix("\n…").split("\n")
    assert kept == lines[: len(kept)]  # whole lines only, in order
    assert len(kept) > 100
