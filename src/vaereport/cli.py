"""The `vaereport` command: run analyses, render the report, show what is up to date."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from .errors import VaereportError, interrupted_exit_code

log = logging.getLogger("vaereport")
_received_signal = signal.SIGINT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vaereport", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def with_profile(p):
        p.add_argument("--profile", default="full", help="parameter profile (full, smoke, ...); default full")
        return p

    def with_overrides(p):
        p.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                       help="override one parameter, e.g. -p epochs=3 or -p 'hidden=[8, 4]' (repeatable)")
        p.add_argument("--params", default="", metavar="'K=V K2=V2'",
                       help="several overrides in one string, split before each 'key=' (what `make q1 P=...` passes)")
        return p

    def with_lock(p):
        p.add_argument("--no-wait", action="store_true",
                       help="if another process is using the build folder, exit at once (code 12) instead of waiting")
        return p

    run = with_lock(with_overrides(with_profile(sub.add_parser(
        "run", help="run one analysis (or 'all') if its outputs are stale"))))
    run.add_argument("analysis", help="q1_vae_mnist (q1), q2_representations (q2r), q2_semisupervised (q2s), or all")
    run.add_argument("--force", action="store_true", help="re-run even if up to date")

    report = with_lock(with_profile(sub.add_parser("report", help="run stale analyses, then render PDF and HTML")))
    report.add_argument("--force", action="store_true", help="re-run every analysis and re-render")

    render = with_lock(with_profile(sub.add_parser("render", help="render the report from existing outputs only")))
    render.add_argument("--force", action="store_true", help="re-render even if unchanged")

    with_profile(sub.add_parser("status", help="list each analysis as up to date / stale (and why) / missing"))
    params = with_overrides(with_profile(sub.add_parser(
        "params", help="print the validated parameters of an analysis, each with what it means")))
    params.add_argument("analysis", help="q1_vae_mnist (q1), q2_representations (q2r) or q2_semisupervised (q2s)")
    sub.add_parser("data", help="check that every dataset is found and intact")
    return parser


def _overrides(args) -> list[str]:
    from .params import split_overrides

    return [*args.param, *split_overrides(args.params)]


def _print_params(analysis: str, profile: str, overrides: list[str]) -> None:
    import json

    from .analyses import get
    from .params import load_params

    spec = get(analysis)
    for key, value in load_params(spec.name, profile, overrides).items():
        line = f"{key}: {json.dumps(value)}"  # JSON values are valid YAML
        print(f"{line:40s} # {spec.schema[key].doc} ({spec.schema[key].rule or 'any'})")


def _dispatch(args) -> int:
    from . import pipeline, report
    from .lock import build_lock
    from .paths import profile_dir

    if args.command in ("run", "report", "render"):
        with build_lock(profile_dir(args.profile), wait=not args.no_wait):
            if args.command == "run":
                overrides = _overrides(args)
                if args.analysis == "all":
                    if overrides:
                        raise VaereportError("-p overrides apply to one analysis; name it instead of 'all'.")
                    pipeline.run_all(args.profile, force=args.force)
                else:
                    pipeline.run(args.analysis, args.profile, overrides, force=args.force)
            else:
                if args.command == "report":
                    pipeline.run_all(args.profile, force=args.force)
                report.render(args.profile, force=args.force)
    elif args.command == "status":
        for name, state in pipeline.status(args.profile):
            print(f"{name:22s} {state}")
    elif args.command == "params":
        _print_params(args.analysis, args.profile, _overrides(args))
    elif args.command == "data":
        from .data import DATASETS, load_dataset

        for name in DATASETS:
            ds = load_dataset(name)
            print(f"{name:14s} ok  {ds.source}  train {ds.x_train.shape}  test {ds.x_test.shape}")
    return 0


def _interrupt(signum, frame):
    """Ctrl-C / SIGTERM: silence the notebook's log stream (no traceback wall), then unwind."""
    global _received_signal
    _received_signal = signum
    logging.getLogger("papermill").setLevel(logging.CRITICAL)
    logging.getLogger("traitlets").setLevel(logging.CRITICAL)
    from . import pipeline

    pipeline.interrupt()
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    for noisy in ("papermill", "traitlets", "blib2to3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("papermill").setLevel(logging.INFO)  # cell output = training progress
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        return _dispatch(args)
    except VaereportError as exc:
        print(f"vaereport: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("\nvaereport: interrupted; earlier outputs are unchanged.", file=sys.stderr)
        return interrupted_exit_code(_received_signal)


if __name__ == "__main__":
    sys.exit(main())
