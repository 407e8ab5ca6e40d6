"""The `vaereport` command: run analyses, render the report, show what is up to date."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from .errors import INTERRUPTED_EXIT_CODE, VaereportError

log = logging.getLogger("vaereport")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vaereport", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def with_profile(p):
        p.add_argument("--profile", default="full", help="parameter profile (full, smoke, ...); default full")
        return p

    run = with_profile(sub.add_parser("run", help="run one analysis (or 'all') if its outputs are stale"))
    run.add_argument("analysis", help="q1_vae_mnist (q1), q2_representations (q2r), q2_semisupervised (q2s), or all")
    run.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                     help="override one parameter, e.g. -p epochs=3 (repeatable)")
    run.add_argument("--force", action="store_true", help="re-run even if up to date")

    report = with_profile(sub.add_parser("report", help="run stale analyses, then render PDF and HTML"))
    report.add_argument("--force", action="store_true", help="re-run every analysis and re-render")

    render = with_profile(sub.add_parser("render", help="render the report from existing outputs only"))
    render.add_argument("--force", action="store_true", help="re-render even if unchanged")

    with_profile(sub.add_parser("status", help="list each analysis as up to date / stale / missing"))
    params = with_profile(sub.add_parser("params", help="print the validated parameters of an analysis"))
    params.add_argument("analysis")
    params.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    sub.add_parser("data", help="check that every dataset is found and intact")
    return parser


def _dispatch(args) -> int:
    from . import pipeline, report

    if args.command == "run":
        if args.analysis == "all":
            if args.param:
                raise VaereportError("-p overrides apply to one analysis; name it instead of 'all'.")
            pipeline.run_all(args.profile, force=args.force)
        else:
            pipeline.run(args.analysis, args.profile, args.param, force=args.force)
    elif args.command == "report":
        pipeline.run_all(args.profile, force=args.force)
        report.render(args.profile, force=args.force)
    elif args.command == "render":
        report.render(args.profile, force=args.force)
    elif args.command == "status":
        for name, state in pipeline.status(args.profile):
            print(f"{name:22s} {state}")
    elif args.command == "params":
        import yaml

        from .analyses import resolve
        from .params import load_params

        print(yaml.safe_dump(load_params(resolve(args.analysis), args.profile, args.param), sort_keys=False), end="")
    elif args.command == "data":
        from .data import DATASETS, load_dataset

        for name in DATASETS:
            ds = load_dataset(name)
            print(f"{name:14s} ok  {ds.source}  train {ds.x_train.shape}  test {ds.x_test.shape}")
    return 0


def _interrupt(signum, frame):
    """Ctrl-C / SIGTERM: silence the notebook's log stream (no traceback wall), then unwind."""
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
        return INTERRUPTED_EXIT_CODE


if __name__ == "__main__":
    sys.exit(main())
