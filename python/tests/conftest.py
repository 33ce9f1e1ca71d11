"""Shared fixtures: the `sparse-explorer` binary the package's runs are checked against, and
Ray started once on this machine's CPUs."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Small and quick: 1,500 MNIST images (250 held out for validation), 300 test images.
SMALL = ["--train-images", "1500", "--test-images", "300", "--no-teacher"]


@pytest.fixture(scope="session")
def cli():
    """Runs the CLI with `args`; returns the completed process (output as text)."""
    binary = os.environ.get("SPARSE_EXPLORER") or str(ROOT / "target/release/sparse-explorer")
    assert os.path.exists(binary), f"build the CLI first: {binary} (cargo xtask test does)"

    def run(*args):
        return subprocess.run([binary, *args], capture_output=True, text=True, timeout=600)

    return run


@pytest.fixture(scope="session")
def tune_command():
    """Runs `python -m sparse_explorer.tune` with `args`; returns the completed process."""

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "sparse_explorer.tune", *args],
            capture_output=True,
            text=True,
            timeout=900,
        )

    return run


@pytest.fixture(scope="module")
def local_ray():
    """Ray on this machine's CPUs (2 here), for the tests that drive Tune in this process."""
    import ray

    ray.init(include_dashboard=False, logging_level="warning", log_to_driver=False)
    yield ray
    ray.shutdown()


def records(folder):
    """The records of a run folder's trials.jsonl."""
    lines = pathlib.Path(folder, "trials.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]
