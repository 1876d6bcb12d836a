"""Train the reader from a recipe, export it, calibrate it, measure it.

python -m train recipe train/recipe.toml --squad-dir ../shared/data/squad   # all of it
python -m train train --squad-dir ../shared/data/squad   # the recipe's stages, resumable
python -m train export                                   # int8 ONNX into qa/models/reader/
python -m train recover RECIPE --stage negatives --out CHECKPOINT   # the shipped reader, in torch
python -m train train RECIPE --begin-stage documents --from CHECKPOINT  # one stage on from it
python -m train unsigned                                 # an older int8 file's weights as uint8
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from index.errors import ConfigError, QAError
from qa.read import MODEL_DIR
from train.recipe import RECIPE, load_recipe

WORK_DIR = Path(".cache") / "reader-train"
SQUAD_DIR = Path("../shared/data/squad")


# Each command imports its module when it runs: --help, and a bad recipe, answer at once,
# without loading torch.


def cmd_train(args: argparse.Namespace) -> None:
    recipe = load_recipe(args.recipe)
    from train.loop import train

    train(recipe, args.squad_dir, args.work_dir, args.until, args.begin_stage, args.begin_from)


def cmd_recover(args: argparse.Namespace) -> None:
    recipe = load_recipe(args.recipe)
    from train.recover import agreement, recovered_model, save_start

    stages = {s.name: s for s in recipe.stages}
    if args.stage not in stages:
        raise ConfigError(f"no stage named {args.stage!r} in {args.recipe}")
    model = recovered_model(args.model_dir)
    found = agreement(model, args.model_dir, recipe.agreement_cases)
    print(
        f"recovered and int8 give the same best span on {found.same_span} of {found.cases} "
        f"cases; logits differ by at most {found.max_logit_diff:.3f} "
        f"(median {found.median_logit_diff:.4f})"
    )
    save_start(model, stages[args.stage], args.out, recipe.weight_decay)
    print(f"{args.out}: stage {args.stage!r} at step {stages[args.stage].schedule.steps}")


def cmd_export(args: argparse.Namespace) -> None:
    recipe = load_recipe(args.recipe)
    from train.export import export
    from train.loop import checkpoint_path

    last = checkpoint_path(args.work_dir, recipe.stages[-1])
    done = export(
        args.checkpoint or last,
        args.work_dir,
        args.out_dir,
        recipe.agreement_cases,
        recipe.unit_break,
    )
    print(f"{done.path}: {done.path.stat().st_size / 1e6:.1f} MB, sha256 {done.sha256}")
    print(f"int8 ONNX and torch give the same best span on {done.agree} of {done.cases} cases")


def cmd_unsigned(args: argparse.Namespace) -> None:
    from train.export import unsigned_weights
    from train.measure import update_card

    path = args.out_dir / "reader.int8.onnx"
    if not path.is_file():
        raise ConfigError(f"{path}: no int8 reader there")
    sha256 = unsigned_weights(path)
    update_card(args.out_dir, {"sha256": sha256})
    print(f"{path}: weights uint8, sha256 {sha256}")


def cmd_calibrate(args: argparse.Namespace) -> None:
    from train.measure import calibrate

    print(json.dumps(calibrate(args.out_dir, args.squad_dir, args.per_article)))


def cmd_measure(args: argparse.Namespace) -> None:
    from train.measure import measure

    print(json.dumps(measure(args.out_dir, args.squad_dir)))


def cmd_recipe(args: argparse.Namespace) -> None:
    for step in (cmd_train, cmd_export, cmd_calibrate, cmd_measure):
        step(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m train", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    train = sub.add_parser("train", help="train (or resume) the recipe's stages")
    export = sub.add_parser("export", help="export the last checkpoint to int8 ONNX")
    calibrate = sub.add_parser(
        "calibrate", help="set the no-answer threshold on the calibration articles"
    )
    measure = sub.add_parser("measure", help="figures of the exported reader on held-out articles")
    recipe = sub.add_parser("recipe", help="all four: train, export, calibrate, measure")
    recover = sub.add_parser(
        "recover", help="a shipped int8 reader as a checkpoint a stage can begin from"
    )
    for p in (train, export, recipe, recover):
        p.add_argument(
            "recipe", nargs="?", type=Path, default=RECIPE, help="default: train/recipe.toml"
        )
        p.add_argument("--work-dir", type=Path, default=WORK_DIR, help="checkpoints, features")
    for p in (train, calibrate, measure, recipe):
        p.add_argument("--squad-dir", type=Path, default=SQUAD_DIR)
    unsigned = sub.add_parser(
        "unsigned", help="an exported reader's int8 weights as uint8: exact on every CPU"
    )
    for p in (export, calibrate, measure, recipe, unsigned):
        p.add_argument("--out-dir", type=Path, default=MODEL_DIR, help="the model folder")
    train.add_argument("--until", type=int, help="stop after this step (rerun to go on)")
    train.add_argument("--begin-stage", help="skip the stages before this one (with --from)")
    train.add_argument(
        "--from", dest="begin_from", type=Path, help="the checkpoint --begin-stage starts from"
    )
    recover.add_argument("--model-dir", type=Path, default=MODEL_DIR, help="the int8 reader")
    recover.add_argument("--stage", required=True, help="the stage whose end the reader stands for")
    recover.add_argument("--out", type=Path, required=True, help="the checkpoint to write")
    export.add_argument("--checkpoint", type=Path, help="default: the last stage's")
    calibrate.add_argument("--per-article", type=int, help="questions per article (default: all)")
    recipe.set_defaults(
        run=cmd_recipe,
        until=None,
        checkpoint=None,
        per_article=None,
        begin_stage=None,
        begin_from=None,
    )
    recover.set_defaults(run=cmd_recover)
    unsigned.set_defaults(run=cmd_unsigned)
    train.set_defaults(run=cmd_train)
    export.set_defaults(run=cmd_export)
    calibrate.set_defaults(run=cmd_calibrate)
    measure.set_defaults(run=cmd_measure)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a library error is one line on stderr and exit code 2."""
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except QAError as exc:
        print(f"train: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
