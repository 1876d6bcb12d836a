"""Training (train/): the recipe file, negatives, scoring, resuming, and a run end to end.

The runs train the real encoder for a few steps on a tiny SQuAD-format slice built here,
so they need no data beyond the repo.
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import json
import platform
import tomllib
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

import index.sessions
from eval.metrics import load_gold
from eval.run import DEFAULT_GOLD
from eval.squad import load_squad
from index.embed import packaged_model_path
from index.errors import ConfigError
from index.sessions import (
    cpu_session,
    int8_where_exact,
    integer_weights,
    multiplies_int8_exactly,
    set_weight_sign,
)
from qa.read import (
    MODEL_DIR,
    Reader,
    batch_arrays,
    encode,
    load_tokenizer,
    windows,
)
from tests.conftest import REPO
from train.__main__ import main
from train.data import DEV_FILE, TRAIN_V1_FILE, TRAIN_V2_FILE, Example, split_dev
from train.export import agreement_cases, question_key, unsigned_weights
from train.features import featurize, training_pool
from train.loop import train
from train.measure import diagnose, squad_scores
from train.model import SpanModel
from train.negatives import entity_swapped_negatives, removed_negatives
from train.recipe import RECIPE, Pool, Recipe, Schedule, Split, Stage, load_recipe, recorded
from train.recover import dequantized, save_start

# The shipped recipe's shape at toy size: two stages, the second with on-topic negatives.
TINY_RECIPE = """
seed = 0
batch_size = 2
weight_decay = 0.01
clip = 1.0
bf16 = true
threads = 1
checkpoint_every = 2
eval_every = 100
eval_questions = 3
agreement_cases = 4

[split]
seed = 13
held_out = 1
calibrate = 1

[[stages]]
name = "base"
schedule = { lr = 1e-4, warmup = 1, steps = 3 }
pool = { examples = 12, v2_repeat = 1, swapped = 0.1, removed = 0.0, entity = 0.0 }

[[stages]]
name = "negatives"
schedule = { lr = 1e-4, warmup = 1, steps = 5 }
pool = { examples = 12, v2_repeat = 1, swapped = 0.1, removed = 0.3, entity = 0.3 }
"""

PEOPLE = ("Ada Lovelace", "Dorman Long", "Ilse Varga", "Tomas Berg", "Mira Okafor", "Jon Hale")
PLACES = ("Sydney", "Lisbon", "Quito", "Oslo", "Perth", "Turin")
THINGS = ("bridge", "library", "harbour", "museum", "tower", "school")


def squad_question(id_: str, question: str, answer: str, context: str) -> dict[str, Any]:
    """A SQuAD question whose answer is the first place ``answer`` occurs in ``context``."""
    answers = [{"text": answer, "answer_start": context.index(answer)}]
    return {"id": id_, "question": question, "answers": answers}


def tiny_article(n: int, unanswerable: bool) -> dict[str, Any]:
    """Article ``n``: two paragraphs, each with a date and a name asked about, and with
    ``unanswerable`` one question each that its paragraph does not answer."""
    paragraphs = []
    for p in range(2):
        k = (2 * n + p) % len(THINGS)
        thing, place, person = THINGS[k], PLACES[(k + n) % 6], PEOPLE[(k + 2 * n) % 6]
        year = str(1900 + 7 * k + n)
        context = (
            f"The {thing} of {place} was opened in {year}. It was built by {person} for "
            "the city. Visitors come in summer to see its gardens."
        )
        qas = [
            squad_question(
                f"{n}-{p}-when", f"When was the {thing} of {place} opened?", year, context
            ),
            squad_question(f"{n}-{p}-who", f"Who built the {thing} of {place}?", person, context),
        ]
        if unanswerable:
            no = f"Who closed the {thing} of {place}?"
            qas.append({"id": f"{n}{p}no", "question": no, "answers": [], "is_impossible": True})
        paragraphs.append({"context": context, "qas": qas})
    return {"title": f"Article_{n}", "paragraphs": paragraphs}


@pytest.fixture(scope="module")
def squad_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three SQuAD files training reads, a few articles each (3 dev articles: one held
    out, one to calibrate, one trained on)."""
    folder = tmp_path_factory.mktemp("squad")
    files = {
        TRAIN_V1_FILE: [tiny_article(n, unanswerable=False) for n in range(3)],
        TRAIN_V2_FILE: [tiny_article(3, unanswerable=True)],
        DEV_FILE: [tiny_article(n, unanswerable=True) for n in range(4, 7)],
    }
    for name, articles in files.items():
        with gzip.open(folder / name, "wt", encoding="utf-8") as f:
            json.dump({"version": "v2.0", "data": articles}, f)
    return folder


@pytest.fixture(scope="module")
def tiny_recipe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("recipe") / "tiny.toml"
    path.write_text(TINY_RECIPE, encoding="utf-8")
    return path


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# The recipe file ---------------------------------------------------------------------------


def test_the_shipped_recipe_is_the_three_stages_the_reader_was_trained_in() -> None:
    pool = Pool(examples=70_000, v2_repeat=3, swapped=0.1, removed=0.0, entity=0.0)
    assert load_recipe(RECIPE) == Recipe(
        seed=0,
        batch_size=16,
        weight_decay=0.01,
        clip=1.0,
        bf16=True,
        threads=2,
        checkpoint_every=100,
        eval_every=500,
        eval_questions=200,
        agreement_cases=80,
        split=Split(seed=13, held_out=8, calibrate=4),
        stages=(
            Stage("base", Schedule(lr=1e-4, warmup=300, steps=8200), pool),
            Stage(
                "negatives",
                Schedule(lr=1e-4, warmup=300, steps=11_700),
                replace(pool, examples=48_000, removed=0.3, entity=0.3),
            ),
            Stage(
                "identifiers",
                Schedule(lr=3e-5, warmup=100, steps=12_700, restart=11_700),
                replace(pool, examples=24_000, removed=0.3, entity=0.3, shaped=0.5, coded=0.3),
            ),
        ),
    )


@pytest.mark.parametrize("path", sorted(RECIPE.parent.glob("recipe-v*.toml")), ids=lambda p: p.name)
def test_a_candidate_recipe_continues_version_6(path: Path) -> None:
    """The model card's candidate versions are reproducible from their recipes: each loads,
    shares the shipped reader's split and begins with version 6's two stages, as the shipped
    recipe does."""
    shipped, candidate = load_recipe(RECIPE), load_recipe(path)
    assert candidate.split == shipped.split
    assert [s.name for s in shipped.stages[:2]] == ["base", "negatives"]
    assert candidate.stages[:2] == shipped.stages[:2]


def test_the_model_card_quotes_the_recipe_as_it_is() -> None:
    card = (MODEL_DIR / "README.md").read_text(encoding="utf-8")
    assert f"```toml\n{RECIPE.read_text(encoding='utf-8')}```" in card


def test_the_split_it_gives_is_the_shipped_models() -> None:
    card = json.loads((MODEL_DIR / "reader.json").read_text())
    titles = [t for part in card["split"].values() for t in part]
    split = split_dev(titles, load_recipe(RECIPE).split)
    assert asdict(split) == {k: tuple(v) for k, v in card["split"].items()}


def test_the_schedule_warms_up_decays_and_restarts_where_the_second_stage_begins() -> None:
    base, negatives = (s.schedule for s in load_recipe(RECIPE).stages[:2])
    assert base.lr_at(0) == pytest.approx(1e-4 / 300)
    assert base.lr_at(299) == pytest.approx(1e-4)
    assert base.lr_at(8199) == pytest.approx(1e-4 / 7900)
    # The second stage joins the line of an 11,700-step run at step 8,200: 0.31 x 1e-4.
    assert negatives.lr_at(8200) == pytest.approx(0.307e-4, abs=1e-8)
    assert negatives.lr_at(11_699) == pytest.approx(1e-4 / 11_400)


@pytest.mark.parametrize(
    ("setting", "bad", "message"),
    [
        ("steps = 3 }", "steps = 1 }", "warmup must be between 0 and steps, got 1"),
        ("entity = 0.0 }", "entity = 0.0, skip = -1 }", "skip at least 0"),
        ("batch_size = 2", 'batch_size = "2"', "'batch_size' must be int, got '2'"),
        ("threads = 1", "threads = 0", "'threads' must be at least 1, got 0"),
        ("clip = 1.0", "", "'clip' is missing"),
        ("bf16 = true", "bf16 = 1", "'bf16' must be bool, got 1"),
        (
            "seed = 0\n",
            'seed = 0\nunit_break = "¶¶"\n',
            "unit break '¶¶' is not a token of the vocabulary",
        ),
    ],
)
def test_a_bad_recipe_is_refused_naming_the_value(
    tmp_path: Path, setting: str, bad: str, message: str
) -> None:
    assert setting in TINY_RECIPE
    path = tmp_path / "bad.toml"
    path.write_text(TINY_RECIPE.replace(setting, bad, 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_recipe(path)


def test_a_unit_break_is_read_between_lines_and_answers_are_labelled_across_it() -> None:
    context = "Dependencies\nidna - Internationalized domain names.\nsniffio - Async detection."
    answer = ("sniffio", context.index("sniffio"))
    example = Example("q", "T", "Which library detects async?", context, (answer,))
    tokenizer = load_tokenizer()
    (feature,) = featurize(tokenizer, [example], ";")
    window = feature.window
    assert window.ids.count(tokenizer.token_to_id(";")) == 2
    assert context[window.offsets[feature.start][0] : window.offsets[feature.end][1]] == "sniffio"


# Negatives and scoring ---------------------------------------------------------------------


def test_a_pool_that_skips_reads_the_examples_after_the_ones_skipped(squad_dir: Path) -> None:
    """A stage with ``skip`` reads examples no stage on the same shuffle without it read."""
    split = split_dev([a["title"] for a in load_squad(squad_dir / DEV_FILE)], Split(13, 1, 1))
    pool = Pool(examples=6, v2_repeat=1, swapped=0.1, removed=0.3, entity=0.3)
    whole = training_pool(squad_dir, split, replace(pool, examples=12), seed=0)
    first = training_pool(squad_dir, split, pool, seed=0)
    after = training_pool(squad_dir, split, replace(pool, skip=6), seed=0)
    assert first == whole[:6] and after == whole[6:]
    with pytest.raises(ConfigError, match="more than it has"):
        training_pool(squad_dir, split, replace(pool, skip=10_000), seed=0)


def test_answer_removed_negatives_lose_the_answer_and_keep_the_rest() -> None:
    context = (
        "The bridge opened in 1932. It was closed in 1990 after its cables corroded. "
        "A new bridge was built nearby. Tolls paid for it."
    )
    qas = [
        squad_question("why", "Why was the bridge closed?", "after its cables corroded", context),
        squad_question("open", "When did the bridge open?", "1932", context),
        squad_question("toll", "What paid for the new bridge?", "bridge", context),
    ]
    article = {"title": "Bridge", "paragraphs": [{"context": context, "qas": qas}]}
    made = {e.id: e for e in removed_negatives([article], share=1.0, seed=0)}
    why = made["why_removed"]
    assert why.impossible and "corroded" not in why.context
    assert why.context == (
        "The bridge opened in 1932. A new bridge was built nearby. Tolls paid for it."
    )
    assert "open_removed" in made and "1932" not in made["open_removed"].context
    assert "toll_removed" not in made  # "bridge" is still in what is left: not a negative
    assert removed_negatives([article], share=0.0, seed=0) == []


def test_entity_swapped_negatives_ask_about_what_the_paragraph_never_mentions() -> None:
    bridge = "The Harbour Bridge opened in 1932, built by Dorman Long for the city of Sydney."
    tunnel = "The Harbour Tunnel opened in 1992, built by Transfield for the city of Sydney."
    qas = [
        squad_question(
            "builder", "What firm built the bridge for Sydney in 1932?", "Dorman Long", bridge
        ),
        squad_question("plain", "What firm built the bridge?", "Dorman Long", bridge),
    ]
    article = {
        "title": "Harbour",
        "paragraphs": [{"context": bridge, "qas": qas}, {"context": tunnel, "qas": []}],
    }
    made = {e.id: e for e in entity_swapped_negatives([article], share=1.0, seed=0)}
    swapped = made["builder_entity"]
    # One name or number swapped for one of the same shape the bridge's paragraph never
    # mentions ("Sydney" may not come back: it is in both).
    assert swapped.impossible and swapped.context == bridge
    assert swapped.question in {
        "What firm built the bridge for Transfield in 1932?",
        "What firm built the bridge for Sydney in 1992?",
    }
    assert "plain_entity" not in made  # nothing in it to swap
    assert entity_swapped_negatives([article], share=0.0, seed=0) == []


def item(*answers: str) -> Example:
    return Example("id", "", "q", "", tuple((a, 0) for a in answers))


def test_squad_scores_count_an_abstention_right_only_on_an_unanswerable_question() -> None:
    items = [item("Dorman Long"), item("the 1932 opening"), item(), item()]
    preds = [("Dorman Long", 5.0), ("1932", 4.0), ("1992", 3.0), ("", -2.0)]
    # Answering above 2.5: right, half right ("1932" of "1932 opening": F1 2/3, EM 0), an
    # unanswerable question answered (0), and one rightly abstained on (1).
    scores = squad_scores(items, preds, threshold=2.5)
    assert scores.f1 == pytest.approx((1 + 2 / 3 + 0 + 1) / 4)
    assert scores.exact == 0.5
    assert scores.has_ans_f1 == pytest.approx((1 + 2 / 3) / 2)
    assert scores.no_ans_accuracy == 0.5
    # The best threshold, among the margins, answers the first two only.
    best = squad_scores(items, preds)
    assert best.threshold == 3.0
    assert best.f1 == pytest.approx((1 + 2 / 3 + 1 + 1) / 4)
    assert best.no_ans_accuracy == 1.0


def test_diagnosis_tells_span_finding_from_deciding() -> None:
    items = [item("Dorman Long"), item("1932"), item(), item()]
    preds = [("Dorman Long", 5.0), ("Sydney", -1.0), ("1992", 3.0), ("", -2.0)]
    found = diagnose(items, preds)
    assert found.has_ans_f1_always_answering == 0.5  # one right span of two
    assert found.answerability_auc == 0.75  # 5 beats 3 and -2; -1 beats only -2
    assert found.f1_if_deciding_perfectly == 0.75  # the right span and both abstentions


# Training ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_resumed_stage_continues_its_schedule_as_if_never_stopped(
    squad_dir: Path, tiny_recipe: Path, tmp_path: Path
) -> None:
    """Four steps in one go, and two then two more after a resume: the same learning rate at
    every step, the same losses and the same weights."""
    recipe = load_recipe(tiny_recipe)
    stage = replace(recipe.stages[0], schedule=Schedule(lr=1e-4, warmup=2, steps=4))
    recipe = replace(recipe, checkpoint_every=100, stages=(stage,))
    train(recipe, squad_dir, tmp_path / "one-go")
    train(recipe, squad_dir, tmp_path / "resumed", until=2)
    assert torch.load(tmp_path / "resumed" / "base.pt", weights_only=False)["step"] == 2
    train(recipe, squad_dir, tmp_path / "resumed")

    one_go, resumed = (rows(tmp_path / run / "steps.jsonl") for run in ("one-go", "resumed"))
    assert [r["step"] for r in resumed] == [1, 2, 3, 4]
    assert [r["lr"] for r in resumed] == [r["lr"] for r in one_go]
    assert [r["lr"] for r in one_go] == [stage.schedule.lr_at(s) for s in range(4)]
    assert [r["loss"] for r in resumed] == [r["loss"] for r in one_go]
    a, b = (
        torch.load(tmp_path / run / "base.pt", weights_only=False) for run in ("one-go", "resumed")
    )
    assert a["step"] == b["step"] == 4
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])

    # A schedule changed under the checkpoint is refused, not silently followed.
    longer = replace(stage, schedule=Schedule(lr=1e-4, warmup=2, steps=6))
    with pytest.raises(ConfigError, match="remove the checkpoint"):
        train(replace(recipe, stages=(longer,)), squad_dir, tmp_path / "one-go")


@pytest.mark.slow
def test_the_recipe_runs_end_to_end_and_the_reader_reads_its_export(
    squad_dir: Path, tmp_path: Path
) -> None:
    """The recipe trains with a unit break, and its card tells the reader to read with it."""
    recipe_file = tmp_path / "tiny.toml"
    recipe_file.write_text(TINY_RECIPE.replace("seed = 0\n", 'seed = 0\nunit_break = ";"\n', 1))
    work, out = tmp_path / "work", tmp_path / "model"
    args = ["--squad-dir", str(squad_dir), "--work-dir", str(work), "--out-dir", str(out)]
    assert main(["recipe", str(recipe_file), *args]) == 0
    recipe = load_recipe(recipe_file)

    # Each stage trained to its end from the one before, under its own schedule.
    log = rows(work / "steps.jsonl")
    assert [(r["stage"], r["step"]) for r in log] == [("base", s) for s in (1, 2, 3)] + [
        ("negatives", s) for s in (4, 5)
    ]
    by_name = {s.name: s for s in recipe.stages}
    assert all(r["lr"] == by_name[r["stage"]].schedule.lr_at(r["step"] - 1) for r in log)
    for stage in recipe.stages:
        checkpoint = torch.load(work / f"{stage.name}.pt", weights_only=False)
        assert checkpoint["stage"] == recorded(stage)
        assert checkpoint["step"] == stage.schedule.steps
    assert [(r["stage"], r["step"]) for r in rows(work / "curve.jsonl")] == [
        ("base", 3),
        ("negatives", 5),
    ]

    # The export, calibrated and measured, is a model the runtime reads.
    card = json.loads((out / "reader.json").read_text())
    model = (out / "reader.int8.onnx").read_bytes()
    assert card["sha256"] == hashlib.sha256(model).hexdigest()
    dev = [f"Article_{n}" for n in range(4, 7)]
    assert card["split"] == {k: list(v) for k, v in asdict(split_dev(dev, recipe.split)).items()}
    assert card["threshold"] == card["calibration"]["threshold"]
    assert card["held_out"]["questions"] == card["oracle_held_out"]["questions"] == 6
    assert len(json.loads((out / "expected.json").read_text())) == recipe.agreement_cases
    passage = "The tower of Oslo was opened in 1921. It was built by Ilse Varga for the city."
    readings = Reader(out).read("Who built the tower of Oslo?", [passage])
    assert readings and 0 <= readings[0].start < readings[0].end <= len(passage)
    assert card["unit_break"] == Reader(out).unit_break == recipe.unit_break == ";"
    assert weight_types(out / "reader.int8.onnx") == {TensorProto.UINT8}
    assert main(["unsigned", "--out-dir", str(out)]) == 0  # an export is unsigned already
    assert (out / "reader.int8.onnx").read_bytes() == model
    assert json.loads((out / "reader.json").read_text()) == card


DOCUMENTS_STAGE = """
[[stages]]
name = "documents"
schedule = { lr = 3e-5, warmup = 1, steps = 7, restart = 5 }
pool = { examples = 12, v2_repeat = 1, swapped = 0.1, removed = 0.3, entity = 0.3, shaped = 0.5 }
"""


def test_a_stage_begins_from_a_checkpoint_trained_elsewhere(
    squad_dir: Path, tmp_path: Path
) -> None:
    """``--begin-stage documents --from CHECKPOINT``: the stages before it are skipped, and
    it goes on from the checkpoint's step under its own warm restart."""
    path = tmp_path / "three.toml"
    path.write_text(TINY_RECIPE + DOCUMENTS_STAGE, encoding="utf-8")
    recipe = load_recipe(path)
    negatives, documents = recipe.stages[1:]
    start = tmp_path / "elsewhere.pt"
    save_start(SpanModel(packaged_model_path()), negatives, start, recipe.weight_decay)
    work = tmp_path / "work"
    args = ["--squad-dir", str(squad_dir), "--work-dir", str(work)]
    assert (
        main(["train", str(path), *args, "--begin-stage", "documents", "--from", str(start)]) == 0
    )

    log = rows(work / "steps.jsonl")
    assert [(r["stage"], r["step"]) for r in log] == [("documents", 6), ("documents", 7)]
    assert [r["lr"] for r in log] == [documents.schedule.lr_at(s) for s in (5, 6)]
    assert not (work / "base.pt").exists() and not (work / "negatives.pt").exists()
    assert torch.load(work / "documents.pt", weights_only=False)["stage"] == recorded(documents)
    with pytest.raises(ConfigError, match="go together"):
        train(recipe, squad_dir, work, begin="documents")


# The shipped model -------------------------------------------------------------------------


def weight_types(path: Path) -> set[int]:
    """The element types of an ONNX file's integer MatMul weights and their zero points."""
    graph = onnx.load(str(path)).graph
    types = {i.name: i.data_type for i in graph.initializer}
    return {types[name] for name in integer_weights(graph)}


def test_the_shipped_reader_multiplies_exactly_on_every_cpu() -> None:
    assert weight_types(MODEL_DIR / "reader.int8.onnx") == {TensorProto.UINT8}


def test_unsigned_weights_are_the_same_numbers_multiplied_without_saturating(
    tmp_path: Path,
) -> None:
    """A MatMul quantized as export quantizes it, before and after :func:`unsigned_weights`:
    the same weights, the same outputs where int8 cannot saturate, and where it can (every
    activation at 255 against weights at 127, sums of two products past 16 bits), the exact
    integer product, which an x86 CPU without VNNI does not give for int8 weights: the
    probe :func:`multiplies_int8_exactly` tells whether this one does."""
    rng = np.random.default_rng(0)
    weights = rng.uniform(-1, 1, (64, 8)).astype(np.float32)
    weights[:, 0] = 1.0
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 8])],
        [numpy_helper.from_array(weights, "w")],
    )
    fp32, signed, unsigned = (tmp_path / f"{n}.onnx" for n in ("fp32", "signed", "unsigned"))
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), fp32)
    quantize_dynamic(fp32, signed, weight_type=QuantType.QInt8, per_channel=True)
    unsigned.write_bytes(signed.read_bytes())
    unsigned_weights(unsigned)
    assert weight_types(signed) == {TensorProto.INT8}
    assert weight_types(unsigned) == {TensorProto.UINT8}
    same_weights = zip(dequantized(signed), dequantized(unsigned), strict=True)
    assert all(np.array_equal(a[2], b[2]) for a, b in same_weights)

    def run(path: Path, x: np.ndarray) -> np.ndarray:
        return cpu_session(path).run(None, {"x": x})[0]  # type: ignore[no-any-return]

    odd = rng.uniform(0, 1, (4, 64)).astype(np.float32)
    odd[:, 1::2] = 0  # one product in each pair: no sum of two can saturate
    assert np.array_equal(run(signed, odd), run(unsigned, odd))
    ones = np.ones((1, 64), np.float32)  # each activation quantized to 255, scale 1/255
    column = {name: value for name, _, value in dequantized(unsigned)}["w"][0]
    assert run(unsigned, ones)[0, 0] == pytest.approx(float(column.sum()), rel=1e-5)
    signed_exact = run(signed, ones)[0, 0] == pytest.approx(float(column.sum()), rel=1e-5)
    assert signed_exact == multiplies_int8_exactly()


def test_the_reader_gets_int8_weights_only_where_they_multiply_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stored back as int8 (expected faster where exact), the shipped weights are the same
    numbers, in a model onnxruntime loads; where this CPU multiplies them exactly it reads
    an agreement case to the same scores as the file, and elsewhere it gets the file.
    The int8 form is also made with the probe forced to yes: the suite's CPUs say no."""
    shipped = MODEL_DIR / "reader.int8.onnx"
    model = onnx.load(str(shipped))
    assert set_weight_sign(model.graph, True)
    assert not set_weight_sign(model.graph, True)
    signed = tmp_path / "signed.onnx"
    onnx.save(model, signed)
    assert weight_types(signed) == {TensorProto.INT8}
    same_weights = zip(dequantized(shipped), dequantized(signed), strict=True)
    assert all(np.array_equal(a[2], b[2]) for a, b in same_weights)

    exact = multiplies_int8_exactly()
    x86 = platform.machine().lower() in {"x86_64", "amd64"}
    assert (int8_where_exact(shipped) != shipped) == (exact and x86)
    monkeypatch.setattr(index.sessions, "multiplies_int8_exactly", lambda: True)
    forced = int8_where_exact(shipped)
    assert isinstance(forced, bytes)
    (tmp_path / "forced.onnx").write_bytes(forced)
    assert weight_types(tmp_path / "forced.onnx") == {TensorProto.INT8}

    tokenizer = load_tokenizer()
    case = agreement_cases(1)[0]
    passages = encode(tokenizer, [case["passage"]])
    inputs = batch_arrays(windows(tokenizer, case["question"], passages))
    as_stored = cpu_session(shipped).run(None, inputs)
    as_int8 = cpu_session(forced).run(None, inputs)
    for a, b in zip(as_stored, as_int8, strict=True):
        if exact:
            assert np.array_equal(a, b)
        else:  # some sums saturate, but it is the same model
            assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.98


def test_the_sign_of_weights_is_changed_only_with_their_zero_points() -> None:
    """A MatMul whose weights have no stored zero point cannot be shifted without changing
    its product: refused, nothing changed."""
    weights = numpy_helper.from_array(np.full((4, 2), 3, np.uint8), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["a", "w"], ["y"], name="bare")],
        "bare",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, [None, 4])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [None, 2])],
        [weights],
    )
    with pytest.raises(ValueError, match="bare: its weights have no zero point"):
        set_weight_sign(graph, True)
    assert graph.initializer[0] == weights


def test_unsigned_names_a_folder_without_a_reader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["unsigned", "--out-dir", str(tmp_path)]) == 2
    assert f"{tmp_path / 'reader.int8.onnx'}: no int8 reader there" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_the_int8_model_reads_like_the_torch_checkpoint_it_came_from() -> None:
    """The best spans the torch checkpoint gave at export (expected.json) come out again, but
    for a few that int8 rounding tips over to a near-tie; and so do its decisions to answer
    or abstain at the calibrated threshold, which is what a user sees of the margin."""
    cases = json.loads((MODEL_DIR / "expected.json").read_text())
    questions = {question_key(item.question): item.question for item in load_gold(DEFAULT_GOLD)}
    reader = Reader(second_reading=False)  # the file's own reading, as torch read them
    same = decided_alike = 0
    for case in cases:
        text = (REPO / case["source"]).read_text(encoding="utf-8")
        passage = text[case["passage_start"] : case["passage_end"]]
        best = reader.read(questions[case["question_sha1"]], [passage])[0]
        same += (best.start, best.end) == (case["start"], case["end"])
        decided_alike += (best.margin > reader.threshold) == (case["margin"] > reader.threshold)
    assert same >= 0.85 * len(cases), f"only {same} of {len(cases)} spans agree"
    assert decided_alike >= 0.9 * len(cases), f"{decided_alike} of {len(cases)} decisions agree"


def imported(path: Path) -> Iterator[str]:
    """The modules a Python file imports, by absolute name."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_nothing_the_runtime_ships_imports_training() -> None:
    """train/ sits above qa, index, eval and ui and is not in the wheel: none imports it."""
    found = [
        f"{path.relative_to(REPO)}: {name}"
        for package in ("qa", "index", "eval", "ui")
        for path in sorted((REPO / package).rglob("*.py"))
        for name in imported(path)
        if name.split(".")[0] == "train"
    ]
    assert found == []
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "train" not in pyproject["tool"]["setuptools"]["packages"]
