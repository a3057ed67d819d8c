"""Transformer generation of realistic OpenQASM benchmark circuits (``qneuro.generators``).

Installed from the top-level ``generators/`` folder under the import name
``qneuro.generators``.
"""

from __future__ import annotations

from qneuro.exports import lazy_exports

#: Public names and their modules, imported on first use (torch loads lazily). Training
#: is ``qneuro.generators.train.train`` (the module name would shadow the function).
_EXPORTS = {
    "available_families": "corpus",
    "build_corpus": "corpus",
    "Corpus": "corpus",
    "CorpusOptions": "corpus",
    "circuit_features": "features",
    "structure_distance": "features",
    "CircuitTransformer": "model",
    "ModelConfig": "model",
    "load_model": "model",
    "save_model": "model",
    "GenerateOptions": "dataset",
    "generate_dataset": "dataset",
    "sample_tokens": "decoding",
    "Tokenizer": "tokenizer",
    "verify_dataset": "verify",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
