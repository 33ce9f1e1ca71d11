"""`python -m sparse_explorer.tune`: `sparse-explorer search` with its trials trained by Ray
Tune, on this machine or on the Ray cluster at `--address`. It takes every option of
`sparse-explorer search` (the same rules, the same refusals) and writes the same run folder,
which `sparse-explorer search --resume DIR` carries on and `sparse-explorer export` exports."""

import argparse
import json
import os
import sys

from sparse_explorer import Run, search_help


def _arguments(argv):
    parser = argparse.ArgumentParser(
        prog="python -m sparse_explorer.tune",
        description=(
            "Search architectures and pruning settings within a board's budget, each trial "
            "trained by a Ray Tune worker. Takes every option of `sparse-explorer search` "
            "(listed below) besides these."
        ),
        add_help=False,
    )
    parser.add_argument(
        "--address",
        help="the Ray cluster to run on (as `ray start` printed it, or 'auto'); "
        "default: start Ray on this machine",
    )
    parser.add_argument(
        "--cpus-per-trial",
        type=int,
        default=1,
        metavar="N",
        help="CPUs each trial trains on (default 1: small networks train faster one per core)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="trials trained at once (default: as many as the cluster's CPUs allow when the "
        "search starts)",
    )
    parser.add_argument("-h", "--help", action="store_true", help="print this help")
    ours, rest = parser.parse_known_args(argv)
    if ours.help:
        print(parser.format_help())
        print(search_help())
        sys.exit(0)
    for name, value in [("--cpus-per-trial", ours.cpus_per_trial), ("--workers", ours.workers)]:
        if value is not None and value < 1:
            parser.error(f"{name} must be at least 1")
    return ours, rest


def _told(run):
    def report(record):
        status = record["status"]
        if status == "trained":
            status = f"val {record['val_accuracy'] * 100:.2f}%, {record['model_size_bytes']} B"
        total = run.trials if run.trials is not None else "?"
        print(f"trial {run.told}/{total}: {status}  ({run.progress})", file=sys.stderr)

    return report


def main(argv=None) -> int:
    ours, rest = _arguments(sys.argv[1:] if argv is None else argv)
    # Tune's console output is its progress table; ours is one line per trial told.
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    try:
        # Before Ray starts: bad options, data or budgets are refused at once, as the CLI
        # refuses them.
        run = Run(rest, announce=True)
    except ValueError as error:
        print(f"sparse-explorer: {error}", file=sys.stderr)
        return 1
    run_dir = run.dir

    import ray

    from sparse_explorer.tune import search

    ray.init(
        address=ours.address,
        include_dashboard=False,
        configure_logging=True,
        logging_level="warning",
        log_to_driver=False,
    )
    try:
        search(run, cpus_per_trial=ours.cpus_per_trial, workers=ours.workers, on_told=_told(run))
        interrupted = not run.is_over
        summary = run.finish()
    except ValueError as error:
        print(f"sparse-explorer: {error}", file=sys.stderr)
        return 1
    finally:
        run.close()
        ray.shutdown()
    print(json.dumps(summary))
    if interrupted:
        # Tune's own advice (Tuner.restore) does not apply: the run folder is the checkpoint.
        print(
            f"sparse-explorer: interrupted after {summary['trials']} trials; carry the run on with "
            f"python -m sparse_explorer.tune --resume {run_dir} (or sparse-explorer search "
            f"--resume {run_dir})",
            file=sys.stderr,
        )
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
