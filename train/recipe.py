"""The recipe: everything a training run is told, read from one TOML file.

``train/recipe.toml`` is the shipped reader's; the model card quotes it. A run is a list
of stages, each with its own pool of examples and its own learning-rate schedule, each
starting from the checkpoint where the stage before it stopped. A checkpoint carries its
stage's schedule, so a resume continues it, and a recipe changed under a checkpoint is
refused rather than silently followed.
"""

from __future__ import annotations

import tomllib
from dataclasses import MISSING, dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any

from index.errors import ConfigError
from qa.read import load_tokenizer, unit_break_id

RECIPE = Path(__file__).with_name("recipe.toml")


@dataclass(frozen=True, slots=True)
class Schedule:
    """Linear warm-up to ``lr`` over ``warmup`` steps from step ``restart``, then linear
    decay to 0 at ``steps``.

    A stage that begins at step k > 0 joins this line at k, a warm restart at ``lr_at(k)``:
    the rate an uninterrupted ``steps``-step run would have there. With ``restart`` = k it
    warms up afresh from k instead, for a short stage at a rate of its own.
    """

    lr: float
    warmup: int
    steps: int
    restart: int = 0

    def lr_at(self, step: int) -> float:
        """The learning rate of update number ``step`` (counted from 0)."""
        since, length = step - self.restart, self.steps - self.restart
        return self.lr * min(
            (since + 1) / self.warmup, max(0.0, (length - since) / (length - self.warmup))
        )


@dataclass(frozen=True, slots=True)
class Pool:
    """What a stage trains on: SQuAD 1.1 train with negatives made from it (each a share of
    its questions), and the SQuAD 2.0 train and dev-train articles repeated ``v2_repeat``
    times (they carry the real unanswerable questions); shuffled, ``examples`` of them after
    the first ``skip`` (a stage that skips what the stages before it took reads examples
    fresh), of which a share ``shaped`` laid out as users' documents are read
    (:mod:`train.shapes`), and a share ``coded`` with their answers renamed as technical
    identifiers (:mod:`train.identifiers`)."""

    examples: int
    v2_repeat: int
    swapped: float
    removed: float
    entity: float
    shaped: float = 0.0
    skip: int = 0
    coded: float = 0.0


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    schedule: Schedule
    pool: Pool


@dataclass(frozen=True, slots=True)
class Split:
    """How the SQuAD 2.0 dev articles are split: ``held_out`` and ``calibrate`` articles
    drawn with ``seed``, the rest trained on."""

    seed: int
    held_out: int
    calibrate: int


@dataclass(frozen=True, slots=True)
class Recipe:
    seed: int
    batch_size: int
    weight_decay: float
    clip: float
    bf16: bool
    threads: int
    checkpoint_every: int
    eval_every: int
    eval_questions: int
    agreement_cases: int
    split: Split
    stages: tuple[Stage, ...]
    unit_break: str = ""  # a token the reader sees between units of the reading view, or none


def recorded(part: Any) -> dict[str, Any]:
    """A recipe part as checkpoints and feature caches record it: ``asdict`` without the
    settings left at their defaults, so that what was recorded before a setting existed
    still matches the recipe that leaves it out."""
    return {
        f.name: recorded(value) if is_dataclass(value) else value
        for f in fields(part)
        if (value := getattr(part, f.name)) != f.default
    }


def load_recipe(path: Path = RECIPE) -> Recipe:
    """Read and check a recipe file; a bad or missing value is named with its place."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} is not a readable recipe ({exc})") from None
    where = str(path)
    top = _values(Recipe, raw, where, nested=("split", "stages"))
    stages = raw["stages"]
    if not isinstance(stages, list) or not stages:
        raise ConfigError(f"{where}: 'stages' must be a non-empty array of tables")
    recipe = Recipe(
        **top,
        split=Split(**_values(Split, raw["split"], f"{where}: split")),
        stages=tuple(_stage(s, f"{where}: stages[{i}]") for i, s in enumerate(stages)),
    )
    _check(recipe, where)
    return recipe


def _stage(raw: Any, where: str) -> Stage:
    values = _values(Stage, raw, where, nested=("schedule", "pool"))
    return Stage(
        **values,
        schedule=Schedule(**_values(Schedule, raw["schedule"], f"{where}.schedule")),
        pool=Pool(**_values(Pool, raw["pool"], f"{where}.pool")),
    )


_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "str": (str,),
}


def _values(cls: type[Any], raw: Any, where: str, nested: tuple[str, ...] = ()) -> dict[str, Any]:
    """The scalar fields of ``cls`` from a TOML table, each present and of its type."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a table, got {raw!r}")
    names = {f.name for f in fields(cls)}
    required = {f.name for f in fields(cls) if f.default is MISSING}
    missing, unknown = sorted(required - raw.keys()), sorted(raw.keys() - names)
    if missing:
        raise ConfigError(f"{where}: {missing[0]!r} is missing")
    if unknown:
        raise ConfigError(f"{where}: {unknown[0]!r} is not a recipe setting")
    out = {}
    for f in fields(cls):
        if f.name in nested or f.name not in raw:
            continue
        value = raw[f.name]
        kinds = _TYPES[str(f.type)]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise ConfigError(f"{where}: {f.name!r} must be {f.type}, got {value!r}")
        out[f.name] = float(value) if isinstance(value, int) and f.type == "float" else value
    return out


def _check(recipe: Recipe, where: str) -> None:
    """Values no run can use: each named, with the stage it is in."""
    counts = {
        name: getattr(recipe, name)
        for name in ("batch_size", "threads", "checkpoint_every", "eval_every", "agreement_cases")
    } | {f"split.{name}": getattr(recipe.split, name) for name in ("held_out", "calibrate")}
    for name, value in counts.items():
        if value < 1:
            raise ConfigError(f"{where}: {name!r} must be at least 1, got {value}")
    if recipe.unit_break:
        try:
            unit_break_id(load_tokenizer(), recipe.unit_break)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    names = [s.name for s in recipe.stages]
    if len(set(names)) < len(names):
        raise ConfigError(f"{where}: stage names must differ, got {names}")
    begins = 0
    for stage in recipe.stages:
        schedule, pool = stage.schedule, stage.pool
        at = f"{where}: stage {stage.name!r}"
        if not 0 < schedule.warmup < schedule.steps - schedule.restart:
            raise ConfigError(f"{at}: warmup must be between 0 and steps, got {schedule.warmup}")
        if not 0 <= schedule.restart <= begins:
            raise ConfigError(
                f"{at}: restart must be between 0 and the step it begins at ({begins}), "
                f"got {schedule.restart}"
            )
        if schedule.steps <= begins:
            raise ConfigError(
                f"{at}: steps must be past the step it begins at ({begins}), got {schedule.steps}"
            )
        if pool.examples < 1 or pool.v2_repeat < 0 or pool.skip < 0:
            raise ConfigError(f"{at}: examples must be at least 1, v2_repeat and skip at least 0")
        for share in ("swapped", "removed", "entity", "shaped", "coded"):
            if not 0 <= getattr(pool, share) <= 1:
                raise ConfigError(f"{at}: {share} must be between 0 and 1")
        begins = schedule.steps
