"""`make bench`: measured throughput on this machine -> build/bench/bench.json and bench.md.

Measures the dense float32 matmul roofline with TensorFlow, the training throughput of each model the
report trains (Q1 Bernoulli/Gaussian VAEs, Q2 VAE/DAE, with their full-profile architectures) and its
fraction of the roofline, the semi-supervised sweep's cell times and parallel speed-up, the smoke report
end to end, and the no-change rebuild. The wall time and peak memory of each full-profile analysis come
from their metadata, and the cost of each grid cell that measures its choices from cells.csv; on a fresh
clone the full report is built first (about 35 minutes on 2 cores).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from vaereport.config import analyses
from vaereport.science.determinism import configure_tensorflow
from vaereport.config.params import load_params
from vaereport.paths import PROJECT_ROOT, build_root

OUT = build_root() / "bench"
STEPS = 13
_started = time.perf_counter()


def progress(step: int, what: str) -> None:
    """One line per benchmark step on stderr, so a run of several minutes shows where it is."""
    print(f"[bench] step {step}/{STEPS}: {what} ({time.perf_counter() - _started:.0f} s elapsed)",
          file=sys.stderr, flush=True)


def matmul_roofline(n: int = 2048, repeats: int = 20) -> float:
    import tensorflow as tf

    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    f = tf.function(lambda x, y: tf.matmul(x, y), jit_compile=True)
    f(a, b).numpy()
    start = time.perf_counter()
    for _ in range(repeats):
        c = f(a, b)
    c.numpy()
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9


def mlp_flops_per_image(layer_sizes: list[tuple[int, int]]) -> int:
    """Forward + backward ~ 3 x forward (2 flops per multiply-add) for the dense layers."""
    return 3 * sum(2 * i * o for i, o in layer_sizes)


def autoencoder_layers(hidden, latent, heads):
    enc, prev = [], 784
    for h in hidden:
        enc.append((prev, h))
        prev = h
    enc += [(prev, latent)] * heads
    dec, prev = [], latent
    for h in reversed(hidden):
        dec.append((prev, h))
        prev = h
    dec.append((prev, 784))
    return enc + dec


def train_throughput(kind: str, params: dict, n: int = 20000, epochs: int = 5, architecture: str = "mlp",
                     jit: bool | None = None) -> dict:
    """Best-of-`epochs` training throughput of a model on n random images; `jit` overrides the compile mode the
    project picks for the architecture (`models.JIT_COMPILE`). FLOP counts only for the dense architecture."""
    import keras

    from vaereport.science.models import build_dae, build_vae
    from vaereport.science.training import compile_model, corrupted_batches

    x = np.random.default_rng(0).uniform(size=(n, 784)).astype("float32")
    keras.utils.set_random_seed(0)
    if kind == "dae":
        model = build_dae(params["latent_dim"], params["hidden"], architecture=architecture)
    else:
        model = build_vae(params["latent_dim"], params["hidden"], kind.split("_")[-1], sigma=params["gaussian_sigma"],
                          architecture=architecture)
    if jit is None:
        compile_model(model, 1e-3)
    else:
        model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=jit)
    # The same input path as `training.fit`: the DAE gets its corrupted batches from tf.data.
    data = corrupted_batches(model, x, params["batch_size"]) if kind == "dae" else x
    batch = None if kind == "dae" else params["batch_size"]
    model.fit(data, epochs=1, batch_size=batch, shuffle=kind != "dae", verbose=0)  # compile
    seconds = []
    for _ in range(epochs):  # best of several epochs: this shared machine's speed varies from minute to minute
        start = time.perf_counter()
        model.fit(data, epochs=1, batch_size=batch, shuffle=kind != "dae", verbose=0)
        seconds.append(time.perf_counter() - start)
    ips = n / min(seconds)
    if architecture != "mlp":
        return {"images_per_second": ips, "epoch_seconds": seconds}
    flops = mlp_flops_per_image(autoencoder_layers(params["hidden"], params["latent_dim"], 1 if kind == "dae" else 2))
    return {"images_per_second": ips, "flops_per_image": flops, "gflops": ips * flops / 1e9,
            "epoch_seconds": seconds}


def compile_modes(params: dict, n: int = 6000, epochs: int = 2) -> dict:
    """Training throughput of the Q2 VAE per architecture with and without XLA, against the mode
    `models.JIT_COMPILE` picks (the faster one should be picked)."""
    from vaereport.science.models import ARCHITECTURES, JIT_COMPILE

    result = {}
    for arch in ARCHITECTURES:
        speeds = {("xla" if jit else "no_xla"): train_throughput("vae_" + params["likelihood"], params, n, epochs,
                                                                 architecture=arch, jit=jit)["images_per_second"]
                  for jit in (True, False)}
        faster = "xla" if speeds["xla"] >= speeds["no_xla"] else "no_xla"
        result[arch] = {**{f"{k}_images_per_second": v for k, v in speeds.items()}, "faster": faster,
                        "picked": "xla" if JIT_COMPILE[arch] else "no_xla"}
    return result


def sweep_cells() -> dict:
    from vaereport.science import semisup

    rng = np.random.default_rng(0)
    x_train, y_train = rng.normal(size=(60000, 16)).astype("float32"), rng.integers(0, 10, 60000)
    x_test, y_test = rng.normal(size=(2000, 16)).astype("float32"), rng.integers(0, 10, 2000)
    times = {}
    for clf in ("logreg", "svm_rbf", "random_forest", "knn", "mlp"):
        for l in (1000, 10000):
            cell = semisup.Fit(l, 0, "vae", clf)
            idx = np.arange(l)
            row = semisup.fit_and_score(cell, x_train, y_train, x_test, y_test, idx, 0)
            times[f"{clf}@{l}"] = row["fit_seconds"]
    subsets = semisup.draw_subsets(y_train, {300: 4, 1000: 4, 3000: 4}, 0)
    cells = semisup.plan_fits(subsets, ["vae"], ["logreg", "knn", "random_forest"], svm_max_budget=0)
    data = {"vae": (x_train, x_test), "labels": (y_train, y_test)}
    walls = {}
    for jobs in (1, 2):
        start = time.perf_counter()
        semisup.run_sweep(cells, data, subsets, 0, jobs, stream=open(os.devnull, "w"))
        walls[jobs] = time.perf_counter() - start
    return {"cell_fit_seconds": times, "sweep_cells": len(cells), "wall_1_worker": walls[1],
            "wall_2_workers": walls[2], "speedup": walls[1] / walls[2]}


def recorded_runs(profile: str = "full", root: Path | None = None) -> dict:
    """Wall time and peak memory each analysis recorded when it last ran (metadata.json)."""
    runs = {}
    for meta in sorted(((root or build_root()) / profile).glob("*/metadata.json")):
        m = json.loads(meta.read_text())
        runs[m["analysis"]] = {"wall_seconds": m["wall_seconds"], "peak_rss_mib": m.get("peak_rss_mib")}
    return runs


def cell_costs(profile: str = "full", root: Path | None = None) -> dict[str, dict[str, float]]:
    """Analysis -> {grid cell: seconds it ran}, from the profile's cells/<analysis>/cells.csv (the cells that ran
    in their last execution; the profile's own runs are left out: `recorded_runs` has them)."""
    import csv

    costs = {}
    for listing in sorted(((root or build_root()) / profile / "cells").glob("*/cells.csv")):
        with open(listing, newline="") as fh:
            rows = [r for r in csv.DictReader(fh) if r["status"] == "ran" and r["own"] != "true" and r["seconds"]]
        if rows:
            costs[listing.parent.name] = {r["cell"]: float(r["seconds"]) for r in rows}
    return costs


def busy_cpu_seconds() -> float | None:
    """CPU seconds this machine has spent busy since boot (all processes; /proc/stat), or None off Linux."""
    stat = Path("/proc/stat")
    if not stat.exists():
        return None
    fields = [int(v) for v in stat.read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def timed_command(cmd: list[str], env: dict | None = None) -> dict:
    """Wall time, peak RSS (largest single process, /usr/bin/time) and the cores kept busy on average: the
    machine's busy CPU time over the wall time (`busy_cores`; it counts every process, also the kernels' joblib
    workers, which a kernel's shutdown orphans, so per-process accounting misses them: run it on a quiet
    machine)."""
    timer = Path("/usr/bin/time")
    busy_before, start = busy_cpu_seconds(), time.perf_counter()
    proc = subprocess.run([str(timer), "-f", "\n%M", *cmd] if timer.exists() else cmd,
                          cwd=PROJECT_ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})})
    wall, busy_after = time.perf_counter() - start, busy_cpu_seconds()
    last = proc.stderr.strip().splitlines()[-1] if timer.exists() and proc.stderr.strip() else ""
    return {"wall_seconds": wall, "peak_rss_mib": int(last) / 1024 if last.isdigit() else None,
            "busy_cores": (busy_after - busy_before) / wall if busy_before is not None else None,
            "exit_code": proc.returncode}


def last_full_execution(root: Path | None = None) -> float | None:
    """Wall time of the cells of the full profile's last execution that ran some, in the build folder `root`."""
    from vaereport.study.cells import last_execution_path

    path = (root or build_root()) / last_execution_path("full").relative_to(build_root())
    return json.loads(path.read_text())["wall_seconds"] if path.exists() else None


def check_targets(r: dict) -> list[dict]:
    """The issue's targets on a 2-core machine, each with the measured value."""
    rows = []
    full = r["full_analyses"]
    cells = r.get("full_report_default_seconds")
    if cells:
        rows.append({"target": "full report's cells (own runs and measured choices) <= 45 min",
                     "measured": f"{cells / 60:.1f} min (wall, default executor)", "met": cells <= 2700})
    if len(full) == len(analyses.existing()):
        peak = max(v["peak_rss_mib"] or 0 for v in full.values())
        rows.append({"target": "peak memory <= 6 GiB", "measured": f"{peak:.0f} MiB", "met": peak <= 6144})
    vae = r["training"]["q1_vae_bernoulli"]["fraction_of_roofline"]
    rows.append({"target": "VAE training >= 50 % of matmul roofline", "measured": f"{100 * vae:.0f} %",
                 "met": vae >= 0.5})
    rows.append({"target": "smoke report <= 3 min", "measured": f"{r['smoke_report']['wall_seconds']:.0f} s",
                 "met": r["smoke_report"]["wall_seconds"] <= 180})
    for arch, m in r["compile_modes"].items():
        picked, best = m[f"{m['picked']}_images_per_second"], m[f"{m['faster']}_images_per_second"]
        rows.append({"target": f"{arch}: the compile mode used is the faster one (within 5 %, the run-to-run noise)",
                     "measured": f"XLA {m['xla_images_per_second']:.0f}, no XLA {m['no_xla_images_per_second']:.0f} "
                                 f"images/s; uses {m['picked'].replace('_', ' ')}", "met": picked >= 0.95 * best})
    clean = r.get("full_report_from_clean", {})
    if clean.get("busy_cores"):
        rows.append({"target": "full report from clean keeps both cores busy: CPU time / wall time >= 1.7",
                     "measured": f"{clean['busy_cores']:.2f}", "met": clean["busy_cores"] >= 1.7})
    rebuild = r["no_change_rebuild_full"]["wall_seconds"]
    rows.append({"target": "no-change rebuild <= 10 s", "measured": f"{rebuild:.1f} s", "met": rebuild <= 10})
    return rows


def study_lines(result: dict) -> list[str]:
    c, o, so = result["study_cells_per_hour"], result["scheduler_overhead"], result["study_scale_out"]
    lines = [f"- study probe ({c['cells']} smoke cells): 1 worker {c['1_workers']['cells_per_hour']:.0f} cells/h, "
             f"2 workers {c['2_workers']['cells_per_hour']:.0f} cells/h (speed-up {c['speedup_2_over_1']:.2f}x); "
             f"cached re-run {c['2_workers']['cached_rerun_seconds']:.1f} s",
             f"- scheduler: LocalCluster start {o['cluster_start_seconds']:.1f} s, "
             f"{1000 * o['seconds_per_chained_task']:.1f} ms per chained task"]
    if result.get("study_wall_seconds_measured"):
        lines.append(f"- study profile, last measured wall time: {result['study_wall_seconds_measured'] / 60:.1f} min")
    if "wall_seconds" in so:
        lines += ["", f"Study wall time simulated from its {so['cells']} cells' measured times "
                      f"(critical path {so['critical_path_seconds'] / 60:.1f} min):", "",
                  "| workers | wall time (min) |", "|---:|---:|"]
        lines += [f"| {n} | {s / 60:.1f} |" for n, s in so["wall_seconds"].items()]
    else:
        lines.append(f"- study simulation: {so['note']}")
    return lines


def main() -> int:
    configure_tensorflow()
    OUT.mkdir(parents=True, exist_ok=True)
    result = {"machine": {"cpu_count": os.cpu_count()}}
    progress(1, "dense matmul roofline")
    result["matmul_gflops"] = matmul_roofline()
    q1, q2 = load_params("q1_vae_mnist", "full"), load_params("q2_representations", "full")
    models = {"q1_vae_bernoulli": ("vae_bernoulli", q1), "q1_vae_gaussian": ("vae_gaussian", q1),
              "q2_vae": ("vae_" + q2["likelihood"], q2), "q2_dae": ("dae", q2)}
    result["training"] = {}
    for step, (name, (kind, params)) in enumerate(models.items(), 2):
        progress(step, f"training throughput of {name}")
        result["training"][name] = train_throughput(kind, params)
    for entry in result["training"].values():
        entry["fraction_of_roofline"] = entry["gflops"] / result["matmul_gflops"]
    progress(6, "compile mode per architecture: XLA or not (Q2 VAE, mlp and conv)")
    result["compile_modes"] = compile_modes(q2)
    progress(7, "semi-supervised sweep cells, 1 and 2 workers")
    result["sweep"] = sweep_cells()
    vr = [sys.executable, "-m", "vaereport.cli"]
    smoke_build = OUT / "smoke-build"
    smoke_env = {"VAEREPORT_BUILD_DIR": str(smoke_build)}
    progress(8, "smoke report end to end, then its no-change rebuild")
    result["smoke_report"] = timed_command([*vr, "report", "--profile", "smoke", "--force"], smoke_env)
    result["smoke_report"]["analyses"] = recorded_runs("smoke", smoke_build)
    result["no_change_rebuild_smoke"] = timed_command([*vr, "report", "--profile", "smoke"], smoke_env)
    if len(recorded_runs("full")) < len(analyses.existing()) or not (build_root() / "full" / "report.pdf").exists():
        # A fresh clone: build the full report once (this is the clean end-to-end measurement).
        progress(9, "full report from a clean build (about 35 minutes)")
        result["full_report_from_clean"] = timed_command([*vr, "report", "--profile", "full"])
    result["full_report_default_seconds"] = last_full_execution()
    result["full_cells"] = cell_costs("full")  # before the no-change rebuild lists every cell as up to date
    progress(11, "no-change rebuild of the full report")
    result["no_change_rebuild_full"] = timed_command([*vr, "report", "--profile", "full"])
    result["full_analyses"] = recorded_runs("full")
    from benchmarks import study_bench

    progress(12, "study cells per hour with 1 and 2 local workers (5 smoke cells each)")
    result["study_cells_per_hour"] = study_bench.cells_per_hour()
    progress(13, "scheduler overhead per cell, and the study's wall time simulated on 1-32 workers")
    result["scheduler_overhead"] = study_bench.scheduler_overhead()
    result["study_scale_out"] = study_bench.scale_out(overhead=result["scheduler_overhead"]["seconds_per_chained_task"])
    result["study_wall_seconds_measured"] = study_bench.measured_study_wall()
    result["peak_rss_bench_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["targets"] = check_targets(result)
    (OUT / "bench.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    lines = ["# vaereport benchmark", "", f"- matmul roofline: {result['matmul_gflops']:.1f} GFLOP/s"]
    for name, t in result["training"].items():
        lines.append(f"- {name}: {t['images_per_second']:.0f} images/s, {t['gflops']:.1f} GFLOP/s "
                     f"({100 * t['fraction_of_roofline']:.0f} % of roofline)")
    s = result["sweep"]
    lines.append(f"- sweep probe: {s['sweep_cells']} cells, speed-up with 2 workers {s['speedup']:.2f}x; "
                 + ", ".join(f"{k} {v:.2f} s" for k, v in s["cell_fit_seconds"].items()))
    sm = result["smoke_report"]
    lines.append(f"- `vaereport report --profile smoke --force`: {sm['wall_seconds']:.0f} s, "
                 f"CPU / wall {sm['busy_cores'] or 0:.2f}, peak {sm['peak_rss_mib'] or 0:.0f} MiB (largest process)")
    lines.append(f"- no-change rebuild (smoke): {result['no_change_rebuild_smoke']['wall_seconds']:.1f} s")
    if "full_report_from_clean" in result:
        clean = result["full_report_from_clean"]
        lines.append(f"- full report from clean: {clean['wall_seconds'] / 60:.1f} min, "
                     f"CPU / wall {clean['busy_cores'] or 0:.2f}")
    default = result["full_report_default_seconds"]
    lines.append(f"- full report's cells: {default / 60:.1f} min under the default executor (its last execution that "
                 f"ran them)" if default else "- full report's cells: not recorded")
    lines.append(f"- no-change rebuild (full): {result['no_change_rebuild_full']['wall_seconds']:.1f} s")
    for k, v in result["full_analyses"].items():
        lines.append(f"- full {k} (last run): {v['wall_seconds']:.0f} s, peak {v['peak_rss_mib'] or 0:.0f} MiB")
    for analysis, costs in result["full_cells"].items():
        lines.append(f"- full {analysis}, cells measuring the report's choices: {sum(costs.values()) / 60:.1f} min in all; "
                     + ", ".join(f"{cell} {seconds:.0f} s" for cell, seconds in costs.items()))
    lines += study_lines(result)
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {t['target']} | {t['measured']} | {'yes' if t['met'] else 'no'} |" for t in result["targets"]]
    (OUT / "bench.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
