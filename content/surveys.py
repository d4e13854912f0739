"""Before-and-after surveys as data files: ``content/surveys/*.toml``, one survey each.

A survey has an id, an introduction and items; each item is a question answered on a
scale of at most 11 points (one button each), with words for its two ends and a short name
(what the outcome chart's axis says; a file without one shows the question there), all in
fi, sv and en. The loader checks every file like the tip library does and refuses a
directory with any problem. An organisation that licenses a validated instrument ships it
as a file of the same shape and chooses it with ``KANNUSTIN_SURVEY``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from content.library import ContentError, load_toml

SURVEYS_DIR = Path(__file__).with_name("surveys")
MAX_POINTS = 11  # buttons in two rows at most
ITEM_ID = r"^[a-z][a-z0-9_]{0,23}$"  # a question's id: a short word (the event log keeps it)
Words = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=600)]


class Texts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fi: Words
    sv: Words
    en: Words

    @model_validator(mode="after")
    def _translated(self) -> Texts:
        if len({self.fi, self.sv, self.en}) < 3 and len(self.fi) > 12:
            raise ValueError("the same text in two languages: translate it")
        return self

    def into(self, language: str) -> str:
        return str(getattr(self, language))


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=ITEM_ID)]
    scale: tuple[int, int]
    question: Texts
    low: Texts
    high: Texts
    # a name of a few words for charts and tables ("Health", "Terveys"); a survey file
    # without one shows the question there instead
    short: Texts | None = None

    @model_validator(mode="after")
    def _scale(self) -> Item:
        low, high = self.scale
        if not 0 <= low < high or high - low + 1 > MAX_POINTS:
            raise ValueError(f"scale: from low to high, at most {MAX_POINTS} points, from 0 up")
        return self

    def name(self, language: str) -> str:
        """The item's short name in ``language`` (a chart's axis), or its question."""
        return (self.short or self.question).into(language)

    @property
    def values(self) -> range:
        return range(self.scale[0], self.scale[1] + 1)


class Survey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=40)]
    intro: Texts
    items: list[Item] = Field(min_length=1, max_length=40)

    @model_validator(mode="after")
    def _distinct_items(self) -> Survey:
        repeated = [i for i, n in Counter(item.id for item in self.items).items() if n > 1]
        if repeated:
            raise ValueError(f"item ids used twice: {', '.join(repeated)}")
        return self

    def item(self, item_id: str) -> Item | None:
        return next((item for item in self.items if item.id == item_id), None)


@dataclass(frozen=True)
class Surveys:
    surveys: dict[str, Survey]

    def get(self, survey_id: str) -> Survey | None:
        return self.surveys.get(survey_id)


def load_surveys(directory: Path = SURVEYS_DIR) -> Surveys:
    """Every survey in ``directory/*.toml``; raises ``ContentError`` listing all problems."""
    problems: list[str] = []
    found: dict[str, Survey] = {}
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise ContentError([f"{directory}: no survey files (*.toml)"])
    for path in files:
        survey = load_toml(path, Survey, problems)
        if survey is None:
            continue
        if survey.id in found:
            problems.append(f"{path.name}: survey id {survey.id!r} is used twice")
        found[survey.id] = survey
    if problems:
        raise ContentError(problems)
    return Surveys(found)
