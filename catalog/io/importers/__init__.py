"""Importers of other people's files: Epoch AI's AI-models CSV and Hugging Face `config.json`.

Each importer reads its format into records (every problem reported at once as `FILE:LINE: what;
how to fix`), compares them with what the catalogue already holds, and writes user rows in one
transaction through the same checks as `llmzoo add`. Nothing is written on any error, and a dry
run writes nothing at all.

- `catalog.io.importers.epoch.import_epoch`: language models from Epoch AI's CSV, as third-party
  estimates; models already catalogued are compared, never overwritten.
- `catalog.io.importers.hf_config.import_hf_config`: the architecture fields of one model from its
  `config.json`, cited by the URL of that file on the hub.
"""

from __future__ import annotations

IMPORT_FORMATS = ("epoch", "hf-config")
