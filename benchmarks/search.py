"""Time `list --search` beyond start-up: the query `llmzoo list --search TEXT --limit 10` runs, on
one catalogue, by the route find_models chooses (the substring index of revision 0007 for a rare
text, a scan testing each model's aliases for a common one) and by the plain scan, in one process.

CPU time (process_time) is reported beside wall time: on a loaded machine the wall clock measures the
neighbours. Each figure is the median of --runs runs after one warm-up run. The two routes are
checked to return the same models.

Usage:
  python benchmarks/search.py /tmp/llmzoo-bench/catalogue-1M.db --runs 7
  python benchmarks/search.py CATALOGUE.db --terms "llama,qwen2.5-7b,xyz"
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    """Command line."""
    from sqlalchemy import text

    from catalog.query.models import DEFAULT_COLUMNS, Filters, find_models
    from catalog.store.db import open_catalog

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", help="catalogue (SQLite path or URL)")
    parser.add_argument("--terms", help="comma-separated search texts (default: a generated model's alias, a "
                                        "common and a rare substring)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    engine = open_catalog(args.db, refresh=False)
    with engine.connect() as conn:
        models = conn.execute(text("SELECT count(*) FROM models")).scalar()
        alias = conn.execute(text("SELECT alias FROM aliases WHERE NOT is_name ORDER BY key DESC LIMIT 1")).scalar()
    terms = args.terms.split(",") if args.terms else [alias, "llama", "zq9"]
    print(f"{args.db}: {models} models, {engine.dialect.name}")
    print("| search | route | rows | median wall | median CPU |")
    print("| --- | --- | ---: | ---: | ---: |")
    for term in terms:
        found = {}
        for route, chosen in (("scan", "scan"), ("chosen", None)):
            filters = Filters(search=term, search_route=chosen)
            find_models(engine, filters, limit=10, columns=list(DEFAULT_COLUMNS))  # warm-up
            walls, cpus = [], []
            for _ in range(args.runs):
                wall, cpu = time.perf_counter(), time.process_time()
                rows = find_models(engine, filters, limit=10, columns=list(DEFAULT_COLUMNS))
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
            found[route] = rows
            print(f"| {term} | {route} | {len(rows)} | {statistics.median(walls):.4f} s | "
                  f"{statistics.median(cpus):.4f} s |", flush=True)
        assert found["scan"] == found["chosen"], f"{term}: the chosen route and the scan disagree"


if __name__ == "__main__":
    main()
