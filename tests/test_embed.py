"""The ONNX embedder: sentence-transformers' vectors without torch, from an export made once."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from index.embed import (
    PACKAGED_MODEL,
    Loader,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    cpu_session,
    default_embedder,
    file_sha256,
    packaged_model_path,
    replace_atomically,
)
from qa.errors import ConfigError
from tests.conftest import REPO, SEEDS

HEAVY = ("torch", "transformers", "sentence_transformers")


def varied_texts() -> list[str]:
    """Some 450 texts: questions and answers, sentences and word windows of the seeds,
    texts far past 256 tokens (cut there by both), other scripts, near-empty ones."""
    texts: list[str] = []
    for name in ("gold.jsonl", "heldout.jsonl"):
        for line in (REPO / "eval" / name).read_text("utf-8").splitlines():
            item = json.loads(line)
            texts += [item["question"], item.get("answer") or ""]
    seeds = "\n\n".join(p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt")))
    texts += re.split(r"(?<=[.!?])\s+", seeds)
    words = seeds.split()
    for size in (1, 7, 40, 120, 400, 900):
        texts += [" ".join(words[i : i + size]) for i in range(0, len(words), max(size, 97))]
    texts += [
        "",
        " ",
        "\n\t",
        ".",
        "?!",
        "\u200b",
        "🙂🙂",
        "a\u0301",
        "x" * 3000,
        "mines " * 300,
        "Zürich, Genève & Москва — 東京 (2024): 12,5 %",
        "Ακόμη και οι νάρκες έχουν ημερομηνία λήξης.",
        "地雷はどのくらいの期間有効ですか？",
        "¿Cuánto tiempo permanecen activas las minas?",
    ]
    return texts


def test_onnx_vectors_match_sentence_transformers(embedder: OnnxEmbedder) -> None:
    texts = varied_texts()
    assert len(texts) > 300 and sum(len(t.split()) > 300 for t in texts) >= 5
    onnx = embedder.embed(texts)
    reference = SentenceTransformerEmbedder().embed(texts)
    assert onnx.shape == reference.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    distance = 1.0 - np.sum(onnx * reference, axis=1)
    worst = int(np.argmax(distance))
    assert distance[worst] < 1e-4, f"{distance[worst]:.2e} for {texts[worst][:80]!r}"


def test_order_and_batching_do_not_change_a_vector(embedder: OnnxEmbedder) -> None:
    texts = varied_texts()[:80]
    together = embedder.embed(texts)
    alone = np.stack([embedder.embed([t])[0] for t in texts[::-1]])[::-1]
    assert np.abs(together - alone).max() < 1e-5


def test_both_backends_name_the_packaged_model_alike() -> None:
    """So an index built by one is reused by the other."""
    assert OnnxEmbedder().name == SentenceTransformerEmbedder().name == PACKAGED_MODEL
    assert isinstance(default_embedder(), OnnxEmbedder)
    assert default_embedder().embed([]).shape == (0, 0)


def test_a_folder_the_onnx_path_does_not_reproduce_stays_with_sentence_transformers(
    tmp_path: Path,
) -> None:
    packaged, folder = packaged_model_path(), tmp_path / "cls-pooled"
    for path in packaged.rglob("*"):
        if path.is_file():
            (folder / path.relative_to(packaged)).parent.mkdir(parents=True, exist_ok=True)
            (folder / path.relative_to(packaged)).symlink_to(path)
    pooling = folder / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text("utf-8"))
    pooling.unlink()
    config.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    pooling.write_text(json.dumps(config), "utf-8")
    chosen = default_embedder(str(folder))
    assert isinstance(chosen, SentenceTransformerEmbedder)
    assert chosen.name == str(folder.resolve())
    with pytest.raises(ConfigError, match="mean-pooled"):
        OnnxEmbedder(str(folder))


@pytest.mark.slow
def test_the_export_is_made_once_and_named_by_the_weights_hash(tmp_path: Path) -> None:
    first = OnnxEmbedder(cache_dir=tmp_path)
    vector = first.embed(["How long do the mines stay active?"])
    weights = (packaged_model_path() / "model.safetensors").read_bytes()
    assert first.folder == tmp_path / f"embed-{hashlib.sha256(weights).hexdigest()[:16]}"
    model = first.folder / "model.onnx"
    before = model.stat()

    second = OnnxEmbedder(cache_dir=tmp_path)
    again = second.embed(["How long do the mines stay active?"])
    after = model.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert np.array_equal(vector, again)
    assert sorted(p.name for p in first.folder.iterdir()) == ["model.onnx", "tokenizer.json"]
    assert [p.name for p in tmp_path.glob("embed-*")] == [first.folder.name]


def test_a_weights_hash_follows_the_file(tmp_path: Path) -> None:
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"one")
    assert file_sha256(weights, tmp_path / "cache") == hashlib.sha256(b"one").hexdigest()
    weights.write_bytes(b"three")
    assert file_sha256(weights, tmp_path / "cache") == hashlib.sha256(b"three").hexdigest()


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "model.onnx"
    target.write_bytes(b"old")

    def crash(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        replace_atomically(target, crash)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


def test_a_session_loaded_ahead_is_made_once_for_every_caller(embedder: OnnxEmbedder) -> None:
    made: list[object] = []

    def make() -> object:
        made.append(cpu_session(embedder.folder / "model.onnx", 1))
        return made[-1]

    loader = Loader(make)
    loader.start()
    loader.start()
    got: list[object] = []
    callers = [threading.Thread(target=lambda: got.append(loader.get())) for _ in range(4)]
    for t in callers:
        t.start()
    for t in callers:
        t.join()
    assert len(made) == 1 and all(g is made[0] for g in got)
    feed = {n: np.ones((1, 4), dtype=np.int64) for n in ("input_ids", "attention_mask")}
    feed["token_type_ids"] = np.zeros((1, 4), dtype=np.int64)
    assert got[0].run(None, feed)[0].shape == (1, 4, 384)  # type: ignore[attr-defined]


def test_a_session_that_failed_to_load_fails_where_it_is_used_and_is_tried_again(
    tmp_path: Path, embedder: OnnxEmbedder
) -> None:
    model = tmp_path / "model.onnx"
    loader = Loader(lambda: cpu_session(model, 1))
    loader.start()
    with pytest.raises(Exception, match=r"model\.onnx"):
        loader.get()
    model.write_bytes((embedder.folder / "model.onnx").read_bytes())  # the file turns up
    assert loader.get().get_inputs()[0].name == "input_ids"  # type: ignore[attr-defined]


def test_embedding_a_question_imports_no_torch(embedder: OnnxEmbedder) -> None:
    assert embedder.folder.is_dir()  # the export exists, as after the first `qa index`
    code = (
        "import json, sys; from index.embed import default_embedder; "
        "v = default_embedder().embed(['How long do the mines stay active?']); "
        "top = {m.split('.')[0] for m in sys.modules}; "
        f"print(json.dumps([v.shape[1], sorted(top & {set(HEAVY)!r})]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [384, []]


@pytest.mark.slow
def test_both_backends_give_the_same_answers_on_the_whole_gold_set(
    embedder: OnnxEmbedder, tmp_path: Path
) -> None:
    """One index, questions embedded by either backend: the answers and citations agree."""
    from eval.metrics import load_gold
    from qa import Assistant, Settings

    settings = Settings(index_dir=tmp_path / "index")
    onnx = Assistant.open(SEEDS, settings, embedder=embedder)
    torch_path = Assistant.open(SEEDS, settings, embedder=SentenceTransformerEmbedder())
    gold = load_gold(REPO / "eval" / "gold.jsonl")
    differ = []
    for item in gold:
        a, b = (qa.ask(item.question, item.history) for qa in (onnx, torch_path))
        cited_a, cited_b = ([(c.source, c.start, c.end) for c in x.citations] for x in (a, b))
        if (a.text, cited_a) != (b.text, cited_b):
            differ.append((item.id, a.text, b.text))
    assert len(gold) > 100 and not differ, differ
