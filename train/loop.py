"""The training loop: every stage of a recipe in turn, each resumable from its checkpoint.

A stage's checkpoint (``<work>/<stage>.pt``) holds the model, the optimizer, the step, the
torch random state and the stage as the recipe gave it, schedule included. Rerunning
resumes it where it stopped and follows the same schedule, as if never stopped; a recipe
changed under a checkpoint is refused. A stage's first run starts from the last checkpoint
of the stage before it (model and optimizer), its own schedule taking over at that step.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from eval.squad import load_squad
from index.embed import packaged_model_path
from index.errors import ConfigError
from index.files import replace_atomically
from qa.read import load_tokenizer
from train.data import DEV_FILE, DevSplit, Example, calibration_examples, split_dev
from train.features import Feature, featurize, training_pool
from train.measure import predictions, squad_scores
from train.model import SpanModel, to_tensors, torch_read
from train.recipe import Recipe, Stage, recorded


def train(
    recipe: Recipe,
    squad_dir: Path,
    work: Path,
    until: int | None = None,
    begin: str | None = None,
    begin_from: Path | None = None,
) -> None:
    """Train the recipe's stages in turn, each from its checkpoint; stop after step ``until``
    if given (a rerun goes on from there). With ``begin``, the stages before the one so named
    are skipped and it starts from ``begin_from``: a checkpoint trained elsewhere, such as
    a shipped reader recovered from its ONNX file (:mod:`train.recover`)."""
    names = [s.name for s in recipe.stages]
    if begin is not None and begin not in names:
        raise ConfigError(f"no stage named {begin!r} in the recipe (it has {names})")
    if (begin is None) != (begin_from is None):
        raise ConfigError("a stage to begin at and the checkpoint it begins from go together")
    torch.set_num_threads(recipe.threads)
    work.mkdir(parents=True, exist_ok=True)
    titles = [a["title"] for a in load_squad(squad_dir / DEV_FILE)]
    split = split_dev(titles, recipe.split)
    (work / "split.json").write_text(json.dumps(asdict(split), indent=1))
    calibration = calibration_examples(squad_dir, split, recipe.eval_questions, recipe.seed)
    for stage in recipe.stages[names.index(begin) if begin else 0 :]:
        checkpoint = checkpoint_path(work, stage)
        step = train_stage(
            recipe, stage, squad_dir, split, calibration, checkpoint, begin_from, until
        )
        if step < stage.schedule.steps:
            return
        begin_from = checkpoint


def checkpoint_path(work: Path, stage: Stage) -> Path:
    return work / f"{stage.name}.pt"


def train_stage(
    recipe: Recipe,
    stage: Stage,
    squad_dir: Path,
    split: DevSplit,
    calibration: Sequence[Example],
    checkpoint: Path,
    begin_from: Path | None,
    until: int | None,
) -> int:
    """Train one stage to its last step (or ``until``); the step it stopped at."""
    model, optimizer, step = restore(recipe, stage, checkpoint, begin_from)
    end = stage.schedule.steps
    stop = end if until is None else min(end, until)
    if step >= stop:
        return step

    features = stage_features(recipe, stage, squad_dir, split, work=checkpoint.parent)
    epoch_size = len(features) // recipe.batch_size
    if not epoch_size:
        raise ConfigError(
            f"stage {stage.name!r}: {len(features)} windows, fewer than batch_size "
            f"{recipe.batch_size}"
        )
    tokenizer = load_tokenizer()
    log = checkpoint.parent / "steps.jsonl"
    curve = checkpoint.parent / "curve.jsonl"
    model.train()
    bar = tqdm(total=end, initial=step, desc=stage.name, file=sys.stderr, mininterval=30)
    began = time.monotonic()
    while step < stop:
        # Batches in a seeded order per epoch, so a resume picks up at the same batch.
        epoch, skip = divmod(step, epoch_size)
        order = batches(features, recipe.batch_size, recipe.seed + epoch)
        for batch in itertools.islice(order, skip, None):
            lr = stage.schedule.lr_at(step)
            for group in optimizer.param_groups:
                group["lr"] = lr
            inputs = to_tensors([f.window for f in batch])
            starts = torch.tensor([f.start for f in batch])
            ends = torch.tensor([f.end for f in batch])
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=recipe.bf16):
                start_logits, end_logits = model(**inputs)
            loss = (
                torch.nn.functional.cross_entropy(start_logits, starts)
                + torch.nn.functional.cross_entropy(end_logits, ends)
            ) / 2
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.clip)
            optimizer.step()
            optimizer.zero_grad()
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
            append_row(log, {"stage": stage.name, "step": step, "lr": lr, "loss": loss.item()})
            if step % recipe.checkpoint_every == 0 or step == stop:
                save_checkpoint(checkpoint, stage, step, model, optimizer)
            if step % recipe.eval_every == 0 or step == end:
                model.eval()
                scores = squad_scores(
                    calibration,
                    predictions(torch_read(model, tokenizer, recipe.unit_break), calibration),
                )
                model.train()
                row = {
                    "stage": stage.name,
                    "step": step,
                    "windows_seen": step * recipe.batch_size,
                    "seconds": round(time.monotonic() - began, 1),
                    **asdict(scores),
                }
                append_row(curve, row)
                print(json.dumps(row), file=sys.stderr, flush=True)
            if step >= stop:
                break
    bar.close()
    return step


def restore(
    recipe: Recipe, stage: Stage, checkpoint: Path, begin_from: Path | None
) -> tuple[SpanModel, torch.optim.AdamW, int]:
    """The model, optimizer and step a stage goes on from: its own checkpoint (the random
    state too), else the last one of the stage before (the random state seeded afresh, as
    at any stage's start), else the packaged encoder at step 0."""
    torch.manual_seed(recipe.seed)
    model = SpanModel(packaged_model_path())
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=stage.schedule.lr, weight_decay=recipe.weight_decay
    )
    if checkpoint.exists():
        state = load_checkpoint(checkpoint, stage)
        torch.set_rng_state(state["rng"])
    elif begin_from is not None:
        state = torch.load(begin_from, weights_only=False)
    else:
        return model, optimizer, 0
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    return model, optimizer, int(state["step"])


def stage_features(
    recipe: Recipe, stage: Stage, squad_dir: Path, split: DevSplit, work: Path
) -> list[Feature]:
    """The stage's training windows, built once and kept in the work folder under a name
    made from everything they depend on."""
    # A recipe without a unit break names its features as before the setting existed.
    made_from = json.dumps(
        [recorded(stage.pool), asdict(split), recipe.seed, *filter(None, [recipe.unit_break])]
    )
    path = work / f"features-{stage.name}-{hashlib.sha1(made_from.encode()).hexdigest()[:12]}.pt"
    if path.exists():
        cached: list[Feature] = torch.load(path, weights_only=False)
        return cached
    pool = training_pool(squad_dir, split, stage.pool, recipe.seed)
    features = featurize(load_tokenizer(), pool, recipe.unit_break)
    replace_atomically(path, lambda tmp: torch.save(features, tmp))
    return features


def batches(features: Sequence[Feature], size: int, seed: int) -> Iterator[list[Feature]]:
    """One epoch in a seeded order, in full batches."""
    order = list(range(len(features)))
    random.Random(seed).shuffle(order)
    for at in range(0, len(order) - size + 1, size):
        yield [features[i] for i in order[at : at + size]]


def save_checkpoint(
    path: Path, stage: Stage, step: int, model: SpanModel, optimizer: torch.optim.Optimizer
) -> None:
    state = {
        "stage": recorded(stage),
        "step": step,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "rng": torch.get_rng_state(),
    }
    replace_atomically(path, lambda tmp: torch.save(state, tmp))


def load_checkpoint(path: Path, stage: Stage) -> dict[str, Any]:
    """A stage's checkpoint, refused when the recipe no longer gives that stage as it was
    trained: resuming would silently follow another schedule or pool."""
    state: dict[str, Any] = torch.load(path, weights_only=False)
    if state["stage"] != recorded(stage):
        raise ConfigError(
            f"{path} was trained as {state['stage']}, but the recipe now says {recorded(stage)}: "
            "restore the recipe, or remove the checkpoint to train the stage again"
        )
    return state


def append_row(path: Path, row: dict[str, Any]) -> None:
    with path.open("a") as f:
        f.write(json.dumps(row) + "\n")
