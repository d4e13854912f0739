"""Texts are measured and cut the way Telegram counts them (UTF-16 code units)."""

from __future__ import annotations

from bot.payload import TEXT_LIMIT, fit_text, packed, telegram_length


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


def test_parts_are_packed_whole_into_as_few_messages_as_hold_them() -> None:
    """A poll's long results: each group's block stays whole, as few messages as fit."""
    block = "\n".join(f"  Vaihtoehto {n}: " + "x" * 90 for n in range(10))  # ~1,100 each
    parts = ["📊 Tulokset", *(f"Ryhmä {g}:\n{block}" for g in range(5)), "Alle 5 …"]
    messages = packed(parts)
    assert len(messages) == 2
    assert all(telegram_length(message) <= TEXT_LIMIT for message in messages)
    assert "\n".join(messages) == "\n".join(parts)  # nothing lost, nothing cut
    assert messages[1].startswith("Ryhmä 3:")
    # one part longer than a message is cut at a line, on its own
    (long,) = packed(["a\n" * 3000])
    assert telegram_length(long) <= TEXT_LIMIT and long.endswith("\n…")
