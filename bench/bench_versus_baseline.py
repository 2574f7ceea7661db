"""Benchmark: where people wait (issue 19), this tree beside the baseline tree, in one run.

Runs the same commands with both trees' own virtualenvs, interleaved (baseline first on odd
repeats, this tree first on even ones), and writes ``bench/results/versus_baseline.json``
with every run, the medians, and the ratios *this tree / baseline* from this run only:

- ``analyse``: ``copkit analyse`` on the demo bundle;
- ``report_pdf``: ``copkit report`` of the demo bundle as PDF (analysis, HTML, PDF);
- ``report_html_100``: ``copkit report`` of a 100-team bundle as HTML;
- ``power``: ``copkit power`` with one worker and with two (``--jobs``, where the tree has
  it): replications per second and CPU seconds per replication;
- ``dashboards``: the demo study loaded into a fresh SQLite database, its open wave closed
  with ``copkit close-wave``, ``copkit serve`` started, and Chromium (Playwright) timing the
  first response of the evaluator's results page and of a manager's team page.

Every figure has the peak memory of the process tree beside it. The inputs are made once per
run by the baseline tree (``copkit demo`` and ``copkit simulate``), so both trees read the
same bundles. See ``bench/README.md`` for how the baseline tree is made.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.measure import Server, Usage, run

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULT_PATH = BENCH_DIR / "results" / "versus_baseline.json"
BASELINE_COMMIT = "db093e1"
DEMO_STUDY = "Greater Manchester CLAHRC (demo)"
PASSWORD = "Bench-demo-password-19"
EVALUATOR = "evaluator@example.org"
MANAGER = "manager@example.org"
POWER_DESIGN = ["--teams", "4,8,16", "--members", "10", "--waves", "6", "--effect", "0.5"]
BENCHMARKS = ("analyse", "report_pdf", "report_html_100", "power", "dashboards")
TARGETS = {
    "analyse": "wall ratio <= 0.4",
    "report_pdf": "wall ratio <= 0.3",
    "report_html_100": "wall ratio <= 0.5",
    "power": "2 workers >= 1.8x the replications/s of 1; CPU per replication ratio <= 0.5",
    "dashboards": "first response < 1 s after the wave's results are stored",
}


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Tree:
    """A checkout of copkit with its own virtualenv."""

    label: str
    root: Path

    @property
    def copkit(self) -> str:
        return str(self.root / ".venv" / "bin" / "copkit")

    def commit(self) -> str:
        out = subprocess.run(
            ["git", "-C", str(self.root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "-C", str(self.root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return out.stdout.strip() + ("+uncommitted changes" if dirty else "")

    def has_option(self, command: str, option: str) -> bool:
        """Whether ``copkit COMMAND --help`` lists ``option`` in this tree."""
        shown = subprocess.run(
            [self.copkit, command, "--help"], capture_output=True, text=True, check=True
        ).stdout
        return option in shown


def _env(instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a measured command: its own instance folder (SQLite database),
    the demo password, and the run's shared rwg(j) null cache (``<scratch root>/cache``,
    warmed before anything is measured, as a user's ``~/.cache/copkit`` would be)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COPKIT_")}
    scratch_root = next(p for p in instance.parents if p.name.startswith("copkit-bench-"))
    env.update(
        COPKIT_INSTANCE_PATH=str(instance),
        COPKIT_DEMO_PASSWORD=PASSWORD,
        COPKIT_SESSION_COOKIE_SECURE="false",
        COPKIT_CACHE_DIR=str(scratch_root / "cache"),
    )
    env.update(extra)
    return env


def _orders(repeat: int, trees: list[Tree]) -> Iterator[list[Tree]]:
    for k in range(repeat):
        yield trees if k % 2 == 0 else list(reversed(trees))


def _median(runs: list[dict[str, Any]]) -> dict[str, float]:
    keys = [k for k, v in runs[0].items() if isinstance(v, int | float) and not isinstance(v, bool)]
    return {k: round(statistics.median(r[k] for r in runs if k in r), 3) for k in keys}


def _ratios(current: dict[str, float], baseline: dict[str, float]) -> dict[str, float | None]:
    return {
        k: (round(current[k] / baseline[k], 3) if baseline.get(k) else None)
        for k in current
        if k in baseline
    }


# --- inputs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    """What every tree is measured on: made once per run by the baseline tree."""

    demo_bundle: Path
    demo_instance: Path
    bundle_100: Path


def _make_inputs(trees: list[Tree], work: Path) -> Inputs:
    baseline = trees[0]
    demo_instance = work / "inputs" / "demo-instance"
    demo_out = work / "inputs" / "demo"
    _say("  inputs: the demo study (copkit demo --no-serve, baseline tree)")
    run(
        [baseline.copkit, "demo", "--no-serve", "--out", str(demo_out)],
        env=_env(demo_instance),
        cwd=work,
    )
    bundle_100 = work / "inputs" / "bundle-100"
    _say("  inputs: 100 teams x 12 members x 8 waves (copkit simulate, baseline tree)")
    run(
        [
            baseline.copkit,
            "simulate",
            "--teams",
            "100",
            "--members",
            "12",
            "--waves",
            "8",
            "--seed",
            "1",
            "--out",
            str(bundle_100),
        ],
        env=_env(demo_instance),
        cwd=work,
    )
    inputs = Inputs(demo_out / "bundle", demo_instance, bundle_100)
    for tree in trees:  # compiled bytecode, page cache and the rwg(j) null cache, unmeasured
        _say(f"  warm-up: copkit analyse on both bundles ({tree.label} tree)")
        for bundle in (inputs.demo_bundle, inputs.bundle_100):
            scratch = work / "warm-up" / tree.label / bundle.name
            run(
                [tree.copkit, "analyse", str(bundle), "--out", str(scratch)],
                env=_env(scratch),
                cwd=work,
            )
    return inputs


# --- command benchmarks ---------------------------------------------------------------------


def _command_benchmark(
    name: str,
    trees: list[Tree],
    repeat: int,
    work: Path,
    command: Callable[[Tree, Path], list[str]],
) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {t.label: [] for t in trees}
    for k, order in enumerate(_orders(repeat, trees)):
        for tree in order:
            scratch = work / name / f"{tree.label}-{k}"
            scratch.mkdir(parents=True)
            usage = run(command(tree, scratch), env=_env(scratch / "instance"), cwd=scratch)
            runs[tree.label].append(usage.figures())
            _say(f"  {name} [{tree.label}] {_line(usage)}")
    return _summary(runs)


def _line(usage: Usage) -> str:
    return (
        f"{usage.wall:6.2f} s wall, {usage.cpu:6.2f} s CPU, peak {usage.peak_mib:5.0f} MiB "
        f"(largest process {usage.max_process_mib:.0f} MiB)"
    )


def _summary(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    medians = {label: _median(rows) for label, rows in runs.items()}
    out: dict[str, Any] = {"runs": runs, "median": medians}
    if "baseline" in medians and "current" in medians:
        out["ratio"] = _ratios(medians["current"], medians["baseline"])
    return out


def bench_analyse(trees: list[Tree], inputs: Inputs, repeat: int, work: Path) -> dict[str, Any]:
    """``copkit analyse`` on the demo bundle."""
    return _command_benchmark(
        "analyse",
        trees,
        repeat,
        work,
        lambda tree, scratch: [
            tree.copkit,
            "analyse",
            str(inputs.demo_bundle),
            "--out",
            str(scratch / "results"),
        ],
    )


def bench_report_pdf(trees: list[Tree], inputs: Inputs, repeat: int, work: Path) -> dict[str, Any]:
    """``copkit report`` of the demo bundle as PDF: analysis, HTML and PDF rendering."""
    return _command_benchmark(
        "report_pdf",
        trees,
        repeat,
        work,
        lambda tree, scratch: [
            tree.copkit,
            "report",
            str(inputs.demo_bundle),
            "--out",
            str(scratch / "report.pdf"),
        ],
    )


def bench_report_html_100(
    trees: list[Tree], inputs: Inputs, repeat: int, work: Path
) -> dict[str, Any]:
    """``copkit report`` of the 100-team bundle as HTML (analysis and HTML)."""
    return _command_benchmark(
        "report_html_100",
        trees,
        repeat,
        work,
        lambda tree, scratch: [
            tree.copkit,
            "report",
            str(inputs.bundle_100),
            "--out",
            str(scratch / "report.html"),
        ],
    )


# --- power ----------------------------------------------------------------------------------


def _power_table(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _power_run(tree: Tree, scratch: Path, reps: int, jobs: int | None) -> dict[str, Any]:
    out = scratch / f"power-{jobs or 'default'}.csv"
    command = [tree.copkit, "power", *POWER_DESIGN, "--reps", str(reps), "--seed", "1"]
    command += ["--out", str(out)] + (["--jobs", str(jobs)] if jobs is not None else [])
    usage = run(command, env=_env(scratch / "instance"), cwd=scratch)
    table = _power_table(out)
    studies = reps * len(table)
    seconds = sum(float(row["seconds"]) for row in table)
    figures: dict[str, Any] = usage.figures()
    figures.update(
        studies=studies,
        power_seconds=round(seconds, 3),
        replications_per_s=round(studies / seconds, 3),
        cpu_s_per_replication=round(usage.cpu / studies, 4),
        wall_s_per_replication=round(seconds / studies, 4),
    )
    figures["table"] = [
        {
            k: row[k]
            for k in (
                "teams",
                "detections",
                "failures",
                "power",
                "mean_estimate",
                "verdict_accuracy",
            )
        }
        for row in table
    ]
    return figures


def bench_power(trees: list[Tree], repeat: int, work: Path, reps: int) -> dict[str, Any]:
    """``copkit power`` on the issue's three designs: 1 worker and 2 workers where possible."""
    runs: dict[str, list[dict[str, Any]]] = {}
    for k, order in enumerate(_orders(repeat, trees)):
        for tree in order:
            variants: list[tuple[str, int | None]] = [(tree.label, None)]
            if tree.has_option("power", "--jobs"):
                variants = [(f"{tree.label}, 1 worker", 1), (f"{tree.label}, 2 workers", 2)]
            for label, jobs in variants:
                scratch = work / "power" / f"{label.replace(', ', '-').replace(' ', '-')}-{k}"
                scratch.mkdir(parents=True)
                figures = _power_run(tree, scratch, reps, jobs)
                runs.setdefault(label, []).append(figures)
                _say(
                    f"  power [{label}] {figures['replications_per_s']:.2f} replications/s, "
                    f"{figures['cpu_s_per_replication']:.3f} CPU s each, "
                    f"peak {figures['peak_mib']:.0f} MiB"
                )
    medians = {label: _median(rows) for label, rows in runs.items()}
    out: dict[str, Any] = {"reps_per_design": reps, "runs": runs, "median": medians}
    one, two = medians.get("current, 1 worker"), medians.get("current, 2 workers")
    base = medians.get("baseline")
    if one and two:
        tables = [
            r["table"] for label in ("current, 1 worker", "current, 2 workers") for r in runs[label]
        ]
        out["identical_across_workers"] = all(t == tables[0] for t in tables)
        out["speedup_2_over_1_workers"] = round(
            two["replications_per_s"] / one["replications_per_s"], 3
        )
    if base and one:
        out["ratio"] = {
            "cpu_s_per_replication": round(
                one["cpu_s_per_replication"] / base["cpu_s_per_replication"], 3
            ),
            "wall_s_per_replication": round(
                one["wall_s_per_replication"] / base["wall_s_per_replication"], 3
            ),
            "peak_mib": round(one["peak_mib"] / base["peak_mib"], 3),
        }
        if two:
            out["ratio"]["replications_per_s_2_workers"] = round(
                two["replications_per_s"] / base["replications_per_s"], 3
            )
            out["ratio"]["peak_mib_2_workers"] = round(two["peak_mib"] / base["peak_mib"], 3)
    return out


# --- dashboards -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_serving(url: str, server: Server, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server stopped: see {server.log}")
        try:
            with urllib.request.urlopen(f"{url}/auth/", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"the server did not answer within {timeout:.0f} s: see {server.log}")


@contextmanager
def _chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


NAVIGATION_TIMING = """() => {
  const n = performance.getEntriesByType('navigation')[0];
  return {response_start: n.responseStart / 1000, response_end: n.responseEnd / 1000,
          load: n.loadEventEnd / 1000};
}"""


def _first_response(browser: Any, url: str, email: str, link: str) -> dict[str, Any]:
    """Sign in as ``email`` and time the first request of the first page matching ``link``."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{url}/auth/")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.goto(f"{url}/dashboard/")
        hrefs = re.findall(rf'href="({link}\d+)"', page.content())
        if not hrefs:
            raise RuntimeError(f"no {link} link on the dashboard home page of {email}")
        started = time.perf_counter()
        response = page.goto(f"{url}{hrefs[0]}", timeout=300_000, wait_until="load")
        seconds = time.perf_counter() - started
        timing = page.evaluate(NAVIGATION_TIMING)
        body = page.content()
        status = response.status if response is not None else None
        return {
            "page": hrefs[0],
            "status": status,
            "shows_results": status == 200 and "being prepared" not in body.lower(),
            "first_byte_s": round(timing["response_start"], 3),
            "response_s": round(timing["response_end"], 3),
            "load_s": round(timing["load"], 3),
            "measured_s": round(seconds, 3),
        }
    finally:
        context.close()


def _dashboard_run(tree: Tree, inputs: Inputs, scratch: Path, browser: Any) -> dict[str, Any]:
    instance = scratch / "instance"
    env = _env(instance)
    # each tree loads its own demo study: its own schema, its own loader
    run([tree.copkit, "demo", "--no-serve", "--out", str(scratch / "demo")], env=env, cwd=scratch)
    closing = run(
        [tree.copkit, "close-wave", "--study", DEMO_STUDY, "--wave", "6"], env=env, cwd=scratch
    )
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = Server(
        [tree.copkit, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        env=_env(instance, COPKIT_BASE_URL=url),
        cwd=scratch,
    )
    try:
        _wait_until_serving(url, server)
        evaluator = _first_response(browser, url, EVALUATOR, "/dashboard/study/")
        manager = _first_response(browser, url, MANAGER, "/dashboard/team/")
    finally:
        peak, cpu = server.stop()
    return {
        "close_wave": closing.figures(),
        "evaluator": evaluator,
        "manager": manager,
        "evaluator_first_response_s": evaluator["load_s"],
        "manager_first_response_s": manager["load_s"],
        "server_peak_mib": round(peak, 1),
        "server_cpu_s": round(cpu, 2),
    }


def bench_dashboards(trees: list[Tree], inputs: Inputs, repeat: int, work: Path) -> dict[str, Any]:
    """First response of the evaluator's results page and a manager's team page after closing."""
    runs: dict[str, list[dict[str, Any]]] = {t.label: [] for t in trees}
    with _chromium() as browser:
        for k, order in enumerate(_orders(repeat, trees)):
            for tree in order:
                scratch = work / "dashboards" / f"{tree.label}-{k}"
                scratch.mkdir(parents=True)
                figures = _dashboard_run(tree, inputs, scratch, browser)
                runs[tree.label].append(figures)
                _say(
                    f"  dashboards [{tree.label}] evaluator {figures['evaluator_first_response_s']:.2f} s "
                    f"(shows results: {figures['evaluator']['shows_results']}), manager "
                    f"{figures['manager_first_response_s']:.2f} s "
                    f"(shows results: {figures['manager']['shows_results']}), server peak "
                    f"{figures['server_peak_mib']:.0f} MiB, close-wave "
                    f"{figures['close_wave']['wall_s']:.1f} s"
                )
    return _summary(runs)


# --- the run ------------------------------------------------------------------------------------


def _load() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_versus_baseline", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        default=Path(os.environ.get("BENCH_BASELINE", ROOT.parent / "copkit-baseline")),
        help="the baseline tree (a worktree of commit db093e1 with its own .venv); "
        "default $BENCH_BASELINE or ../copkit-baseline",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each quick benchmark")
    parser.add_argument(
        "--power-reps",
        type=int,
        default=200,
        help="replications per design (default 200: a worker's start, about a second of "
        "imports, weighs on the 2-worker figure as little as in a real study of 500)",
    )
    parser.add_argument(
        "--only",
        default=",".join(BENCHMARKS),
        help=f"comma-separated subset of {','.join(BENCHMARKS)}",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--out", type=Path, default=RESULT_PATH)
    return parser.parse_args(argv)


def main() -> dict[str, Any]:
    """``python -m bench versus_baseline``: every benchmark with the default settings."""
    return cli([])


def cli(argv: list[str]) -> dict[str, Any]:
    """Run the chosen benchmarks on both trees and write the JSON result."""
    args = _arguments(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        raise SystemExit(
            f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}"
        )
    baseline = Tree("baseline", args.baseline.resolve())
    current = Tree("current", ROOT)
    for tree in (baseline, current):
        if not Path(tree.copkit).exists():
            raise SystemExit(
                f"{tree.label} tree {tree.root} has no .venv/bin/copkit: see bench/README.md "
                "(make baseline creates the baseline tree)"
            )
    if not baseline.commit().startswith(BASELINE_COMMIT) and "BENCH_BASELINE_ANY" not in os.environ:
        raise SystemExit(f"{baseline.root} is at {baseline.commit()}, not {BASELINE_COMMIT}")
    trees = [baseline, current]
    work = Path(tempfile.mkdtemp(prefix="copkit-bench-"))
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": _load(),
        },
        "trees": {t.label: {"root": str(t.root), "commit": t.commit()} for t in trees},
        "repeat": args.repeat,
        "targets": {name: TARGETS[name] for name in chosen},
        "benchmarks": {},
    }
    _say(f"versus baseline: {baseline.root} beside {current.root}; scratch {work}")
    try:
        inputs = _make_inputs(trees, work)
        for name in chosen:
            _say(f"- {name} (load average {_load()})")
            began = time.perf_counter()
            if name == "power":
                result = bench_power(trees, 1, work, args.power_reps)
            elif name == "dashboards":
                result = bench_dashboards(trees, inputs, max(1, args.repeat - 1), work)
            elif name == "report_html_100":
                result = bench_report_html_100(trees, inputs, 1, work)
            else:
                result = globals()[f"bench_{name}"](trees, inputs, args.repeat, work)
            result["load_average_after"] = _load()
            result["seconds"] = round(time.perf_counter() - began, 1)
            report["benchmarks"][name] = result
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    finally:
        if args.keep:
            _say(f"scratch kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["machine"]["load_average_at_end"] = _load()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    _say(f"written {args.out}")
    print(summary_table(report))
    return report


def summary_table(report: dict[str, Any]) -> str:
    """The headline figures of a result as a Markdown table (what bench/README.md quotes)."""
    lines = [
        "| Benchmark | Baseline | This tree | Ratio | Peak MiB (baseline / this) |",
        "|---|---:|---:|---:|---:|",
    ]
    found = report["benchmarks"]
    for name in ("analyse", "report_pdf", "report_html_100"):
        if name not in found:
            continue
        base, cur = found[name]["median"]["baseline"], found[name]["median"]["current"]
        lines.append(
            f"| {name} (wall s; CPU s) | {base['wall_s']:.2f}; {base['cpu_s']:.2f} | "
            f"{cur['wall_s']:.2f}; {cur['cpu_s']:.2f} | {found[name]['ratio']['wall_s']:.2f}; "
            f"{found[name]['ratio']['cpu_s']:.2f} | {base['peak_mib']:.0f} / {cur['peak_mib']:.0f} |"
        )
    if "power" in found:
        medians = found["power"]["median"]
        base = medians.get("baseline", {})
        for label, cur in medians.items():
            if label == "baseline":
                continue
            lines.append(
                f"| power, {label.split(', ')[-1]} (replications/s; CPU s each) | "
                f"{base.get('replications_per_s', 0):.2f}; {base.get('cpu_s_per_replication', 0):.3f} | "
                f"{cur['replications_per_s']:.2f}; {cur['cpu_s_per_replication']:.3f} | "
                f"{cur['replications_per_s'] / base['replications_per_s']:.2f}; "
                f"{cur['cpu_s_per_replication'] / base['cpu_s_per_replication']:.2f} | "
                f"{base.get('peak_mib', 0):.0f} / {cur['peak_mib']:.0f} |"
            )
        if "speedup_2_over_1_workers" in found["power"]:
            lines.append(
                f"| power, 2 workers / 1 worker | | | {found['power']['speedup_2_over_1_workers']:.2f} "
                f"(identical results: {found['power']['identical_across_workers']}) | |"
            )
    if "dashboards" in found:
        base, cur = (
            found["dashboards"]["median"]["baseline"],
            found["dashboards"]["median"]["current"],
        )
        for who in ("evaluator", "manager"):
            key = f"{who}_first_response_s"
            lines.append(
                f"| {who} page, first response (s) | {base[key]:.2f} | {cur[key]:.2f} | "
                f"{cur[key] / base[key]:.2f} | {base['server_peak_mib']:.0f} / {cur['server_peak_mib']:.0f} (server) |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    cli(sys.argv[1:])
