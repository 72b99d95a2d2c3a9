"""Time `llmzoo site build` of the synthetic catalogue (auto: packed above 20,000 models) against floors
measured in the same run, its size on disk, and the index filter in headless Chromium.

Figures: wall, CPU and peak memory of the build (median of --runs fresh processes, as benchmarks/run.py
measures); the build with one file per model (`--pages files`, the former layout) beside it; the floor
of the output: one plain Python loop writing the very bytes of the packed site (every file, the same
sizes) into a fresh folder; `du` of each site (blocks and apparent size) and its file count; in
headless Chromium from file:// with the network off (the browser of tests/test_site_browser.py), the
time from navigating to index.html to its first rows, the filter's time (an architecture chosen in
the select, the table redrawn: the handler is synchronous, timed in the page) and a search typed in
the box (timed to the redrawn count, including the box's 80 ms debounce), and opening a model's page
from its link (navigation to its pack until its section is shown).

The catalogue is made the way benchmarks/run.py makes its own (benchmarks/generate.py, then one
untimed `llmzoo import` into a copy of the curated catalogue), in the same work folder, and kept.

Usage:
  python benchmarks/site.py                            # 100k models, 3 runs, figures printed
  python benchmarks/site.py --size 100k --runs 3 --results benchmarks/RESULTS.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from run import Bench, checkpoint, label, machine, measure, median, run_once  # noqa: E402

FILTER_RUNS = 7


def catalogue(bench: Bench, size: int) -> Path:
    """The synthetic catalogue of `size` models (imported once, untimed, then kept)."""
    db = bench.work / f"catalogue-{label(size)}.db"
    if not db.exists():
        curated = bench.curated()
        csv_path = bench.csv(size)
        part = db.with_name(db.name + ".part")
        shutil.copy(curated, part)
        print(f"importing {csv_path} ...", flush=True)
        run_once(bench.llmzoo + ["import", str(csv_path)], bench.env_for(part))
        checkpoint(part)
        part.replace(db)
    return db


def disk(folder: Path) -> dict[str, float]:
    """What a folder takes: MB on disk (du), apparent MB, files."""
    blocks = int(subprocess.run(["du", "-sk", str(folder)], capture_output=True, text=True, check=True)
                 .stdout.split()[0])
    apparent = int(subprocess.run(["du", "-sk", "--apparent-size", str(folder)], capture_output=True, text=True,
                                  check=True).stdout.split()[0])
    count = sum(1 for p in folder.rglob("*") if p.is_file())
    return {"disk_mb": blocks / 1024, "apparent_mb": apparent / 1024, "files": count}


def write_floor(site: Path, work: Path, runs: int) -> float:
    """Median seconds of one plain loop writing every file of `site` (read into memory first) afresh."""
    contents = [(p.relative_to(site), p.read_bytes()) for p in sorted(site.rglob("*")) if p.is_file()]
    times = []
    for _ in range(runs):
        out = work / "floor-site"
        shutil.rmtree(out, ignore_errors=True)
        start = time.perf_counter()
        for relative, data in contents:
            target = out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(data)
        times.append(time.perf_counter() - start)
    shutil.rmtree(work / "floor-site", ignore_errors=True)
    return statistics.median(times)


def browser_figures(site: Path) -> dict[str, float]:
    """Load, filter, search and open-a-model times of a site's index in headless Chromium (medians)."""
    from test_site_browser import Browser, find_browser

    binary = find_browser()
    if binary is None:
        raise SystemExit("no Chromium found: the filter time needs one")
    browser = Browser(binary)
    try:
        index = (site / "index.html").as_uri()
        loads, filters, searches, opens = [], [], [], []
        for run in range(FILTER_RUNS):
            start = time.perf_counter()
            browser.open(index)
            browser.wait_until("document.querySelectorAll('#models tbody tr').length > 0")
            loads.append(time.perf_counter() - start)
            arch = "encoder-only" if run % 2 == 0 else "encoder-decoder"
            filters.append(browser.js(
                "(() => { const s = document.getElementById('f-arch'); s.value = " + json.dumps(arch) + ";"
                "const t = performance.now(); s.dispatchEvent(new Event('change'));"
                "return performance.now() - t; })()") / 1000)
            searches.append(browser.js(
                "new Promise(resolve => { const box = document.getElementById('search');"
                "const count = document.getElementById('count'); const t = performance.now();"
                "const seen = new MutationObserver(() => { seen.disconnect(); resolve(performance.now() - t); });"
                "seen.observe(count, {childList: true, characterData: true, subtree: true});"
                "box.value = 'llama'; box.dispatchEvent(new Event('input')); })") / 1000)
            link = browser.js("document.querySelector('#models tbody tr a').href")
            start = time.perf_counter()
            browser.open(link)
            browser.wait_until("document.querySelector('main h1') && (!document.getElementById('pack-model')"
                               " || !document.getElementById('pack-model').hidden)")
            opens.append(time.perf_counter() - start)
        problems = browser.problems()
        if problems:
            raise SystemExit(f"the browser reported problems: {problems}")
    finally:
        browser.close()
    return {"load_s": statistics.median(loads), "filter_s": statistics.median(filters),
            "search_s": statistics.median(searches), "open_s": statistics.median(opens)}


def build(bench: Bench, db: Path, out: Path, runs: int, pages: str | None) -> dict[str, Any]:
    """Time `site build` (`pages` None: the default, auto) and measure its output."""
    args = ["site", "build", "-o", str(out), "-q"] + (["--pages", pages] if pages else [])
    samples = measure(bench.llmzoo + args, bench.env_for(db), runs, warmup=False)
    return {"command": bench.command(db, args), "wall": median(samples, "wall"), "cpu": median(samples, "cpu"),
            "peak_mb": median(samples, "peak_mb"), "walls": [s.wall for s in samples], **disk(out)}


def section(size: int, info: dict[str, Any], packed: dict[str, Any], files: dict[str, Any], floor: float,
            views: dict[str, dict[str, float]], runs: int) -> str:
    """The results as a dated markdown section of RESULTS.md."""
    today = dt.date.today().isoformat()
    met = packed["wall"] < 60 and packed["disk_mb"] < 400
    lines = [f"## Site build with packed model pages ({today})", "",
             f"`benchmarks/site.py --size {label(size)} --runs {runs}`: {info['cpu']}, {info['cores']} cores, "
             f"Python {info['python']}; load average {info['load_average'][0]:.2f} at the start, "
             f"{info['load_average_after'][0]:.2f} at the end. Median of {runs} fresh processes each.", "",
             "| build | median wall | CPU | peak memory | on disk | apparent | files | floor: write the same bytes "
             "| ratio | target | met |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for name, r, target, ok in (
            (f"`site build` (auto: packed) of {label(size)} models", packed, "< 60 s, < 400 MB on disk", met),
            ("`site build --pages files` (one file per model)", files, "", None)):
        ratio = f"{r['wall'] / floor:.2f}x" if r is packed else ""
        lines.append(f"| {name} | {r['wall']:.1f} s | {r['cpu']:.1f} s | {r['peak_mb']:.0f} MB | "
                     f"{r['disk_mb']:.0f} MB | {r['apparent_mb']:.0f} MB | {r['files']:,} | "
                     f"{floor:.2f} s | {ratio} | {target} | {'' if ok is None else ('yes' if ok else '**no**')} |")
    lines += ["", "In headless Chromium from file:// (network off), medians of "
              f"{FILTER_RUNS} runs:", "",
              "| site | open index.html to first rows | filter by architecture | search 'llama' (with the 80 ms "
              "debounce) | open a model from its link |", "| --- | ---: | ---: | ---: | ---: |"]
    for name, v in views.items():
        lines.append(f"| {name} | {v['load_s']:.2f} s | {v['filter_s'] * 1000:.0f} ms | {v['search_s'] * 1000:.0f} ms "
                     f"| {v['open_s'] * 1000:.0f} ms |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100k", help="models in the synthetic catalogue (10k, 100k, ...)")
    parser.add_argument("--runs", type=int, default=3, help="timed builds of each kind (median reported)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/llmzoo-bench"))
    parser.add_argument("--results", type=Path, help="append the figures as a dated section to this file")
    args = parser.parse_args()
    size = int(float(args.size.replace("k", "e3").replace("M", "e6")))
    args.work.mkdir(parents=True, exist_ok=True)
    bench = Bench(args.work, args.runs, args.runs, args.runs)
    info = machine()
    print(json.dumps(info), flush=True)
    db = catalogue(bench, size)
    packed_out, files_out = args.work / f"site-{label(size)}", args.work / f"site-{label(size)}-files"
    packed = build(bench, db, packed_out, args.runs, None)
    print(f"site build (auto): {packed['wall']:.1f} s wall, {packed['cpu']:.1f} s CPU, {packed['peak_mb']:.0f} MB, "
          f"{packed['disk_mb']:.0f} MB on disk, {packed['files']} files", flush=True)
    floor = write_floor(packed_out, args.work, args.runs)
    print(f"floor (write the same bytes): {floor:.2f} s", flush=True)
    files = build(bench, db, files_out, args.runs, "files")
    print(f"site build --pages files: {files['wall']:.1f} s wall, {files['cpu']:.1f} s CPU, "
          f"{files['disk_mb']:.0f} MB on disk, {files['files']} files", flush=True)
    views = {"packed (auto)": browser_figures(packed_out), "one file per model": browser_figures(files_out)}
    print(json.dumps(views), flush=True)
    shutil.rmtree(files_out, ignore_errors=True)
    info["load_average_after"] = os.getloadavg()
    text = section(size, info, packed, files, floor, views, args.runs)
    print("\n" + text)
    if args.results:
        with args.results.open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)


if __name__ == "__main__":
    main()
