"""The `vaereport` command: run analyses, render the report, show what is up to date."""

from __future__ import annotations

import argparse
import logging
import re
import signal
import sys
from pathlib import Path

from .errors import ParameterError, VaereportError, interrupted_exit_code

log = logging.getLogger("vaereport")
_received_signal = signal.SIGINT


def _parser() -> argparse.ArgumentParser:
    from .config import analyses

    choices = ", ".join(f"{a.name} ({a.short})" for a in analyses.existing())
    first = analyses.existing()[0].short if analyses.existing() else "ANALYSIS"
    upstream = next((analyses.get(a.upstream[0]).short for a in analyses.existing() if a.upstream), first)
    parser = argparse.ArgumentParser(prog="vaereport", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def with_profile(p):
        p.add_argument("--profile", default=None, help="parameter profile (full, smoke, study, ...); default full")
        return p

    def with_overrides(p):
        p.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                       help="override one parameter, e.g. -p epochs=3 or -p 'hidden=[8, 4]' (repeatable)")
        p.add_argument("-f", "--params-file", metavar="FILE",
                       help="a YAML file of overrides ('epochs: 3', or papermill's 'params: {epochs: 3}'); -p wins")
        p.add_argument("--params", default="", metavar="'K=V K2=V2'",
                       help=f"several overrides in one string, split before each 'key=' (what `make {first} P=...` passes)")
        return p

    def with_lock(p):
        p.add_argument("--no-wait", action="store_true",
                       help="if another process is using the build folder, exit at once (code 12) instead of waiting")
        return p

    def with_choice(p, what):
        p.add_argument("--run", action="append", default=[], metavar="ANALYSIS=RUN_ID", dest="choose",
                       help=f"use this run of an analysis instead of the profile's own {what} (repeatable)")
        return p

    def with_cluster(p):
        p.add_argument("--workers", type=_at_least(1), metavar="N",
                       help="run the cells on a local Dask cluster of N worker processes (default: one per two "
                            "cores; under four cores, one cell at a time in this process with every core)")
        p.add_argument("--scheduler", metavar="ADDRESS",
                       help="run the cells on the Dask scheduler at ADDRESS (or set VAEREPORT_SCHEDULER)")
        return p

    run = with_choice(with_lock(with_overrides(with_profile(sub.add_parser(
        "run", help="run one analysis (or 'all') unless that run is already kept; runs with overrides are kept "
                    "beside the profile's own")))), f"as its upstream, e.g. --run {upstream}=3fa2c1")
    run.add_argument("analysis", help=f"{choices}, or all")
    run.add_argument("--force", action="store_true", help="re-run even if up to date")
    run.add_argument("--name", help="name the run (usable wherever a run id is), e.g. --name more-epochs")
    run.add_argument("--note", help="a note kept with the run and shown by `vaereport runs`")
    run.add_argument("--tag", action="append", default=[], help="a tag kept with the run (repeatable)")
    run.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2",
                     help="run a grid of parameter sets on a Dask cluster instead of one, e.g. --grid latent_dim=8,16,32 "
                          "--grid seed=1,2 (Cartesian product; repeatable)")
    with_cluster(run)

    report = with_choice(with_lock(with_profile(sub.add_parser(
        "report", help="run missing analyses, then render PDF and HTML"))),
        "(an experiment report, written beside the profile's report)")
    report.add_argument("--force", action="store_true", help="re-run every analysis and re-render")
    with_cluster(report)

    render = with_choice(with_lock(with_profile(sub.add_parser(
        "render", help="render the report from existing outputs only"))), "(an experiment report)")
    render.add_argument("--force", action="store_true", help="re-render even if unchanged")

    with_profile(sub.add_parser("status", help="list each analysis as up to date / stale (and why) / missing"))
    params = with_overrides(with_profile(sub.add_parser(
        "params", help="print the validated parameters of an analysis, each with what it means")))
    params.add_argument("analysis", help=choices)
    sub.add_parser("data", help="check that every dataset is found and intact")

    runs = with_profile(sub.add_parser("runs", help="list the kept runs of an analysis: id, when, what differs "
                                                    "from the profile, headline metrics, wall time"))
    runs.add_argument("analysis", help=choices)
    runs.add_argument("--json", action="store_true", help="print JSON instead of an aligned table")
    runs.add_argument("--plot", metavar="METRIC", help="draw METRIC (a column of the listing or a dotted path into "
                                                      "metrics.json) across the kept runs into build/<profile>/plots/")

    diff = with_profile(sub.add_parser("diff", help="compare two runs: parameters, metrics, tables (and a figure)"))
    diff.add_argument("run_a", help="run id (or unique prefix), or 'profile' for the profile's own run")
    diff.add_argument("run_b", help="run id (or unique prefix), or 'profile' for the profile's own run")
    diff.add_argument("--md", metavar="FILE", help="also write the comparison as Markdown to FILE (a relative path "
                                                   "is under build/<profile>/diffs/)")
    diff.add_argument("--figure", metavar="NAME", help="write a side-by-side PNG of this figure of both runs")
    diff.add_argument("--only", metavar="TEXT", help="show only the metrics and tables whose name contains TEXT")

    gc = with_lock(with_profile(sub.add_parser("gc", help="remove kept runs the profile's report does not use")))
    gc.add_argument("--keep", type=_at_least(0), default=3, metavar="N",
                    help="also keep the N most recent runs of each analysis (default 3)")
    gc.add_argument("--dry-run", action="store_true", help="only print what would be removed")
    for command in sub.choices.values():
        command.add_argument("-v", "--verbose", action="store_true",
                             help="show the analyses' whole output live (papermill, TensorFlow, Keras); by default "
                                  "only progress lines, the rest goes to each run's kernel.log")
    return parser


def _at_least(low: int):
    """An argparse type: an integer >= low (a bad value is one usage error, exit 2)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} is below {low}; give a number >= {low}")
        return value
    return parse


def _profile_of_named_run(args) -> str | None:
    """`diff` without --profile: the profile of the first run it names by id (ids are unique content hashes)."""
    if args.command != "diff":
        return None
    from . import runs

    ref = next((r for r in (args.run_a, args.run_b) if r != "profile"), None)
    try:
        return runs.find("full", ref).meta["profile"] if ref else None
    except VaereportError:
        return None  # the command itself reports the bad id


def _name_the_profile(args) -> None:
    """Every command's first line: which profile and build folder it works on (the default said so)."""
    from .paths import build_root, profile_dir

    given = args.profile is not None
    args.profile = args.profile or _profile_of_named_run(args) or "full"
    given = given or args.profile != "full"
    from .execution.store import shown

    folder = shown(profile_dir(args.profile))
    line = f"vaereport {args.command}: profile {args.profile}{'' if given else ' (the default; --profile NAME for another)'}, {folder}/"
    if not given and args.command == "status":
        with_runs = sorted(d.parent.name for d in build_root().glob("*/runs") if any(d.iterdir()))
        line += f"; profiles with runs here: {', '.join(with_runs) or 'none yet'}"
    log.info(line)


def _overrides(args) -> list[str]:
    from .config.params import overrides_file, split_overrides

    from_file = overrides_file(args.params_file) if args.params_file else []
    return [*from_file, *args.param, *split_overrides(args.params)]


def _print_params(analysis: str, profile: str, overrides: list[str]) -> None:
    import json

    from .config.analyses import get
    from .config.params import load_params

    spec = get(analysis)
    for key, value in load_params(spec.name, profile, overrides).items():
        line = f"{key}: {json.dumps(value)}"  # JSON values are valid YAML
        print(f"{line:40s} # {spec.schema[key].doc} ({spec.schema[key].rule or 'any'})")


def _dispatch(args) -> int:
    from .reporting import report
    from .study import cells, graph
    from .execution import recovery, runner
    from .execution.lock import build_lock
    from .paths import profile_dir

    if args.command in ("run", "report", "render", "gc"):
        from .config.params import check_profile_exists

        check_profile_exists(args.profile)  # before the lock creates build/<profile>/
        with build_lock(profile_dir(args.profile), wait=not args.no_wait):
            recovery.recover(profile_dir(args.profile))
            if args.command == "gc":
                _gc(args)
                return 0
            chosen = _chosen(args)
            if args.command == "run":
                _run(args, chosen)
            else:
                runs = _study(args, chosen=chosen) if args.command == "report" else chosen
                report.render(args.profile, force=args.force, runs=runs if chosen else None)
    elif args.command == "runs":
        _list_runs(args)
    elif args.command == "diff":
        _diff(args)
    elif args.command == "status":
        for name, state in runner.status(args.profile):
            print(f"{name:22s} {state}")
        if graph.has_grid(args.profile):
            for name, (kept, total) in cells.cell_counts(args.profile).items():
                print(f"{name:22s} grid: {kept} of {total} cells kept (build/{args.profile}/cells/{name}/cells.csv)")
    elif args.command == "params":
        _print_params(args.analysis, args.profile, _overrides(args))
    elif args.command == "data":
        from .data import DATASETS, load_dataset

        for name in DATASETS:
            ds = load_dataset(name)
            print(f"{name:14s} ok  {ds.source}  train {ds.x_train.shape}  test {ds.x_test.shape}")
    return 0


def _run(args, chosen: dict) -> None:
    from .execution import runner

    overrides = _overrides(args)
    labelled = args.name or args.note or args.tag
    if labelled and (args.analysis == "all" or args.grid):
        raise ParameterError("--name, --note and --tag label one run; name one analysis and give no --grid.")
    if args.name:
        from .runs import check_name

        check_name(args.name)  # before anything runs
    if args.analysis == "all":
        if overrides or args.grid:
            raise ParameterError("-p overrides and --grid apply to one analysis; name it instead of 'all'.")
        _study(args, chosen=chosen)
    elif args.grid:
        if chosen:
            raise ParameterError("--run and --grid cannot be combined; a grid runs on the profile's own upstream runs.")
        _study(args, [args.analysis], args.grid, overrides)
    else:
        p, _ = runner.run(args.analysis, args.profile, overrides, force=args.force, upstream_runs=chosen)
        if labelled:
            from . import runs

            labels = runs.label(runs.find(args.profile, p.key, p.analysis.name), args.profile, args.name, args.note, args.tag)
            shown = {k: ", ".join(v) if isinstance(v, list) else v for k, v in labels.items() if v}
            print(f"run {p.key[:8]} of {p.analysis.name}: " + "; ".join(f"{k} {v}" for k, v in shown.items()))


def _study(args, targets=None, grid_options=(), overrides=(), chosen=None) -> dict:
    """Run the profile's graph (or a target's grid); returns analysis -> the folder of its own run."""
    from .config.grid import parse_grid_options
    from .config.params import parse_override
    from .study import executor

    return executor.run_study(args.profile, targets, parse_grid_options(list(grid_options)) or None,
                              dict(parse_override(o) for o in overrides) or None, force=args.force,
                              scheduler=args.scheduler, workers=args.workers, chosen=chosen)


def _chosen(args) -> dict:
    """{analysis: run folder} from --run ANALYSIS=ID (verified), for commands that have the option."""
    from . import runs

    return {name: run.folder for name, run in runs.parse_choices(getattr(args, "choose", []), args.profile).items()}


def _list_runs(args) -> None:
    import json

    from .config import analyses
    from . import runs

    name = analyses.get(args.analysis).name
    if args.plot:
        from .paths import profile_dir

        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", args.plot).strip("_")
        print(f"plot: {runs.plot_metric(args.profile, name, args.plot, profile_dir(args.profile) / 'plots' / f'{name}-{slug}.png')}")
        return
    rows = runs.listing(args.profile, name)
    if args.json or rows:
        print(json.dumps(rows, indent=1) if args.json else runs.aligned(rows))
    else:
        from .paths import build_root

        elsewhere = sorted(d.parent.parent.name for d in build_root().glob(f"*/runs/{name}") if any(d.iterdir()))
        hint = (f"runs of {name} are kept under profile(s) {', '.join(elsewhere)}: add --profile {elsewhere[0]}"
                if elsewhere else f"make one with `vaereport run {args.analysis} --profile {args.profile}`")
        print(f"(no runs of {name} in profile {args.profile}; {hint})")


def _diff(args) -> None:

    from . import runs

    a = None if args.run_a == "profile" else runs.find(args.profile, args.run_a)
    b = None if args.run_b == "profile" else runs.find(args.profile, args.run_b)
    if a is None and b is None:
        raise runs.RunNotFoundError("Name at least one run by its id: `vaereport diff RUN_ID profile`.")
    a = a or runs.find(b.meta["profile"], "profile", b.analysis)
    b = b or runs.find(a.meta["profile"], "profile", a.analysis)
    a, b = runs.verified(a), runs.verified(b)
    if args.figure:
        runs.check_figure(a, b, args.figure)  # before any output
    d = runs.diff(a, b, only=args.only)
    print(runs.diff_text(d), end="")
    from .paths import profile_dir

    diffs = profile_dir(a.meta["profile"]) / "diffs"
    if args.md:
        md = diffs / args.md if not Path(args.md).is_absolute() else Path(args.md)
        md.parent.mkdir(parents=True, exist_ok=True)
        md.write_text(runs.diff_text(d, markdown=True))
        print(f"Markdown: {md}")
    if args.figure:
        out = diffs / f"{args.figure}-{a.id[:8]}-{b.id[:8]}.png"
        print(f"figure: {runs.figure_diff(a, b, args.figure, out)}")


def _gc(args) -> None:
    from . import runs
    from .execution.lock import remove_unheld
    from .paths import profile_dir
    from .execution.store import RUN_LOCKS

    removed, freed = runs.collect_garbage(args.profile, args.keep, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for run in removed:
        print(f"{verb} {run.analysis} run {run.id[:8]} ({run.meta.get('finished', '')[:19]})")
    locks = 0 if args.dry_run else remove_unheld(profile_dir(args.profile) / RUN_LOCKS)
    print(f"{verb} {len(removed)} run(s), {freed / 2**20:.1f} MiB" + (f", {locks} unused lock file(s)" if locks else "")
          + f"; kept the runs the report uses and the {args.keep} most recent of each analysis.")


def _lowercase_first_word(message: str) -> str:
    """'Dataset 'mnist' not found' -> 'dataset 'mnist' not found': every error reads the same after
    'vaereport: error:' (names in capitals, like MNIST or Q1, stay)."""
    if len(message) > 1 and message[0].isupper() and message[1].islower():
        return message[0].lower() + message[1:]
    return message


def _interrupt(signum, frame):
    """Ctrl-C / SIGTERM: silence the notebook's log stream (no traceback wall), then unwind."""
    global _received_signal
    _received_signal = signum
    # asyncio too: nbclient's kernel-alive poll can fail with DeadKernelError after the kernel is killed, and
    # asyncio logs that never-retrieved task's traceback when it is collected, after the CLI's last line.
    for name in ("papermill", "traitlets", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    from .execution import kernel

    kernel.interrupt()
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    from . import console

    args = _parser().parse_args(argv)
    console.configure(verbose=args.verbose)
    if hasattr(args, "profile"):
        _name_the_profile(args)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        return _dispatch(args)
    except VaereportError as exc:
        print(f"vaereport: error: {_lowercase_first_word(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        from .execution import kernel

        kept = f"; the partial notebook is {kernel.last_failed}" if kernel.last_failed else ""
        print(f"\nvaereport: interrupted; earlier outputs are unchanged{kept}", file=sys.stderr)
        return interrupted_exit_code(_received_signal)


if __name__ == "__main__":
    sys.exit(main())
