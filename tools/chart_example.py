"""Draw the README's example of ``/stats chart``: ``python tools/chart_example.py``
writes ``docs/stats-chart.png``. The words are the English catalog's, the drawing is the
bot's own (``bot/formats/charts.py``); the figures are made up: an organisation's three
groups in their fourth week, the reading group's first weeks and the plans of two groups
hidden by the disclosure rule (gaps, as the bot draws them)."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.formats.charts import Labels, Series, weekly_chart
from bot.i18n import Text, Translator

OUT = Path(__file__).resolve().parents[1] / "docs" / "stats-chart.png"
ACTIVE: Series = {
    "Walking group": [(1, 9.0), (2, 8.0), (3, 10.0), (4, 9.0)],
    "Reading circle": [(1, None), (2, None), (3, 6.0), (4, 7.0)],
    "Tuesday peers": [(1, 11.0), (2, 12.0), (3, 9.0), (4, 10.0)],
}
COMPLETION: Series = {
    "Walking group": [(1, None), (2, 57.0), (3, 63.0), (4, 71.0)],
    "Reading circle": [(1, None), (2, None), (3, None), (4, None)],
    "Tuesday peers": [(1, 45.0), (2, 50.0), (3, None), (4, 67.0)],
}


def main() -> None:
    translator = Translator.load("en")

    def say(key: str, **params: object) -> str:
        return translator.render("en", Text(key, params))

    labels = Labels(
        title=say("stats.overview-header", name="Espoo", count=3).removeprefix("📊 "),
        active=say("stats.chart-active"),
        completion=say("stats.chart-completion"),
        week=say("stats.chart-week"),
        note=say("stats.chart-note", small=5),
        empty=say("stats.chart-empty", small=5),
    )
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_bytes(weekly_chart(labels, ACTIVE, COMPLETION))
    sys.stdout.write(f"{OUT}\n")


if __name__ == "__main__":
    main()
