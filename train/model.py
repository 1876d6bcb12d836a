"""The span model: the packaged all-MiniLM-L6-v2 encoder with a linear start/end head.

"No answer" is the span at [CLS] (SQuAD 2.0 style). The runtime never loads this: it reads
the int8 ONNX export of it (qa/read.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from transformers import BertModel

from qa.read import Reading, Window, batch_arrays, best_per_passage, decode, encode, windows


class SpanModel(torch.nn.Module):
    """Start and end scores per token; padding scores -1e4, so it is never a span.

    Export with ``attention="eager"``: torch's fused attention exports as a graph
    onnxruntime runs 1.3x slower (a NaN guard on every score).
    """

    def __init__(self, encoder: Path, attention: str = "sdpa") -> None:
        super().__init__()
        self.encoder = BertModel.from_pretrained(
            str(encoder), add_pooling_layer=False, attn_implementation=attention
        )
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, 2)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        logits = self.head(hidden).float()
        start, end = logits.unbind(-1)
        pad = attention_mask == 0
        return start.masked_fill(pad, -1e4), end.masked_fill(pad, -1e4)


def to_tensors(batch: Sequence[Window]) -> dict[str, torch.Tensor]:
    return {k: torch.from_numpy(v) for k, v in batch_arrays(batch).items()}


def torch_read(
    model: SpanModel, tokenizer: object, unit_break: str = ""
) -> Callable[[str, Sequence[str]], list[Reading]]:
    """Read with the torch model as the ONNX reader does: same windows, same decoding."""

    def read(question: str, passages: Sequence[str]) -> list[Reading]:
        pieces = windows(tokenizer, question, encode(tokenizer, passages, unit_break))
        with torch.inference_mode():
            start, end = model(**to_tensors(pieces))
        return best_per_passage(pieces, decode(pieces, start.numpy(), end.numpy()))

    return read
