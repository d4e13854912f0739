"""Tips as TOML files (one ``[[tips]]`` table per tip, all three languages) and their loader.

The loader reads every file, checks every tip against the schema and reports all problems
at once, each with file and field, so a writer can fix a file in one go. A library with any
problem is refused as a whole: a half-loaded library would make tips vanish silently.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.i18n import counted

M = TypeVar("M", bound=BaseModel)
TIPS_DIR = Path(__file__).with_name("tips")
MEDIA_DIR = Path(__file__).with_name("media")
CAPTION_LIMIT = 1024  # a tip must fit a photo caption
PROGRAMME_WEEKS = range(1, 7)


class Theme(StrEnum):
    ACTION_PLANNING = "action_planning"
    PHYSICAL_ACTIVITY = "physical_activity"
    HEALTHY_EATING = "healthy_eating"
    SLEEP = "sleep"
    FATIGUE = "fatigue"
    PAIN = "pain"
    DIFFICULT_EMOTIONS = "difficult_emotions"
    RELAXATION = "relaxation"
    BREATHING = "breathing"
    HEALTH_PROFESSIONALS = "health_professionals"
    MEDICATIONS = "medications"
    PROBLEM_SOLVING = "problem_solving"
    COMMUNITY_RESOURCES = "community_resources"
    PEER_SUPPORT = "peer_support"


TipTextValue = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=CAPTION_LIMIT)
]


class TipTexts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fi: TipTextValue
    sv: TipTextValue
    en: TipTextValue

    @field_validator("fi", "sv", "en")
    @classmethod
    def _fits_a_caption(cls, value: str) -> str:
        # Telegram counts UTF-16 code units: an emoji counts twice
        units = len(value.encode("utf-16-le")) // 2
        if units > CAPTION_LIMIT:
            raise ValueError(
                f"{units} characters as Telegram counts them; a caption takes {CAPTION_LIMIT}"
            )
        return value


class TipMedia(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["photo", "video", "animation"]
    # a file under content/media, sent as an upload the first time
    file: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]+\.(jpg|jpeg|png|mp4|gif)$")]


class Tip(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=48)]
    theme: Theme
    weeks: list[Annotated[int, Field(ge=1, le=6)]] | Literal["any"] = "any"
    text: TipTexts
    media: TipMedia | None = None

    @field_validator("weeks")
    @classmethod
    def _distinct_weeks(cls, value: list[int] | str) -> list[int] | str:
        if isinstance(value, list):
            if not value:
                raise ValueError('list at least one week (1-6), or write "any"')
            if len(set(value)) != len(value):
                raise ValueError("a week is listed twice")
        return value

    @model_validator(mode="after")
    def _translated(self) -> Tip:
        texts = {"fi": self.text.fi, "sv": self.text.sv, "en": self.text.en}
        for first, second in (("fi", "sv"), ("fi", "en"), ("sv", "en")):
            if texts[first] == texts[second]:
                raise ValueError(f"text.{second} is the same as text.{first}: translate it")
        return self

    def suits_week(self, week: int) -> bool:
        return self.weeks == "any" or week in self.weeks

    def text_in(self, language: str) -> str:
        return str(getattr(self.text, language))


class TipFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tips: list[Tip] = Field(min_length=1)


class ContentError(Exception):
    """The library has problems; ``problems`` lists each as ``file: field: message``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{counted(len(problems), 'problem')} in the tip library")
        self.problems = problems

    def report(self) -> str:
        return "\n".join(self.problems)


@dataclass(frozen=True)
class Library:
    tips: tuple[Tip, ...]

    def __iter__(self) -> Iterator[Tip]:
        return iter(self.tips)

    def __len__(self) -> int:
        return len(self.tips)

    def themes(self) -> list[Theme]:
        return sorted({tip.theme for tip in self.tips})

    def get(self, tip_id: str) -> Tip | None:
        return next((tip for tip in self.tips if tip.id == tip_id), None)


def load_library(directory: Path = TIPS_DIR) -> Library:
    """Every tip in ``directory/*.toml``; raises ``ContentError`` listing all problems."""
    problems: list[str] = []
    tips: list[Tip] = []
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise ContentError([f"{directory}: no tip files (*.toml)"])
    for path in files:
        tips.extend(_load_file(path, problems))
    for tip_id, count in Counter(tip.id for tip in tips).items():
        if count > 1:
            problems.append(f"tip id {tip_id!r} is used {count} times; ids must be unique")
    media_dir = directory.parent / "media"
    for tip in tips:
        if tip.media is not None and not (media_dir / tip.media.file).is_file():
            problems.append(f"tip {tip.id}: media file {tip.media.file} not found in {media_dir}")
    if problems:
        raise ContentError(problems)
    return Library(tuple(tips))


def _load_file(path: Path, problems: list[str]) -> list[Tip]:
    loaded = load_toml(path, TipFile, problems)
    return [] if loaded is None else loaded.tips


def load_toml(path: Path, model: type[M], problems: list[str]) -> M | None:
    """One data file checked against its schema; each problem is appended as
    ``file: field: message`` and None returned."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        problems.append(f"{path.name}: not valid TOML ({error})")
        return None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        for item in error.errors(include_url=False):
            field = ".".join(str(part) for part in item["loc"])
            problems.append(f"{path.name}: {field}: {item['msg']}")
        return None
