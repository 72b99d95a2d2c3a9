#!/usr/bin/env bash
# Regenerate the chart images of the README from the curated catalogue in data/.
# A throwaway database is built from data/ first, so the images show exactly the curated models.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LLMZOO_DB="$work/llmzoo.db" LLMZOO_DATA="$PWD/data"

llmzoo validate
llmzoo chart timeline -o docs/timeline.png
llmzoo chart compute -o docs/compute.png
llmzoo chart capability --benchmark mmlu -o docs/capability.png
llmzoo chart lineage --family llama --title "The LLaMA family" -o docs/tree-llama.png
