"""Files in and out: `files` (the one routine that writes an output file), `export` (models with their
provenance as CSV, JSON, JSONL) and `importers` (Epoch AI's tables, Hugging Face configs). The bulk
import of exports is catalog.io.importing."""
