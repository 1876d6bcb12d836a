"""Training the span reader (qa/read.py) from SQuAD, on the CPU: ``python -m train``.

Not part of the runtime wheel: it needs torch and transformers (the dev install), and it
sits above ``qa``, ``index`` and ``eval``, which never import it. One job per module:

- :mod:`train.recipe`: the run's settings, read from one TOML file (``recipe.toml``);
- :mod:`train.data`: SQuAD examples and the split of the dev articles;
- :mod:`train.negatives`: generated unanswerable questions;
- :mod:`train.shapes`: SQuAD paragraphs laid out as users' documents are read;
- :mod:`train.features`: examples cut into windows with start/end token labels;
- :mod:`train.model`: the encoder with a start/end head;
- :mod:`train.loop`: training, resumable from checkpoints that carry the schedule;
- :mod:`train.export`: the int8 ONNX file the runtime reads, and its agreement cases;
- :mod:`train.recover`: a shipped int8 reader back in torch, for a stage to go on from;
- :mod:`train.measure`: the no-answer threshold and the held-out figures.
"""
