"""Searches run by Ray Tune on this machine: the command line's run folder, resumed and
exported by the CLI; a trial whose Ray worker fails; bad input refused before Ray starts."""

import json
import pathlib

import pytest
from conftest import SMALL, records

import sparse_explorer as se
from sparse_explorer import tune as se_tune


def test_a_six_trial_search_through_ray_tune_writes_a_folder_the_cli_resumes(
    tune_command, cli, tmp_path
):
    out = tmp_path / "run"
    done = tune_command(
        "--board", "arduino-uno", "--algorithm", "mobo", "--trials", "6", "--seed", "5",
        *SMALL, "--out", str(out),
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["trials"] == 6 and summary["out"] == str(out)
    assert "trial 6/6" in done.stderr
    told = records(out)
    assert sorted(r["id"] for r in told) == list(range(6))
    assert all(r["status"] == "trained" for r in told), told
    front = json.loads((out / "pareto.json").read_text())
    assert [r["id"] for r in front] == summary["pareto"] and front
    for member in front:
        assert (out / "networks" / f"{member['id']}.int8.json").exists()
    assert (out / "ray" / "tune").is_dir()

    # The CLI carries the same folder on, and exports from it.
    resumed = cli("search", "--resume", str(out), "--trials", "8")
    assert resumed.returncode == 0, resumed.stderr
    assert [r["id"] for r in records(out)] == [r["id"] for r in told] + [6, 7]
    exported = cli("export", "--run", str(out), "--trial", str(front[0]["id"]),
                   "--out", str(tmp_path / "c"))
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "c" / "model.c").exists()

    # And Ray carries it on again after the CLI.
    again = tune_command("--resume", str(out), "--trials", "9")
    assert again.returncode == 0, again.stderr
    assert [r["id"] for r in records(out)][-1] == 8


def test_a_trial_whose_ray_worker_fails_is_recorded_as_failed(local_ray, tmp_path):
    out = tmp_path / "run"
    run = se.Run(["--board", "arduino-uno", "--algorithm", "random", "--trials", "4",
                  *SMALL, "--out", str(out)])

    def breaks_on_trial_2(config, context):
        if config["job"]["id"] == 2:
            raise RuntimeError("this worker broke")
        se_tune.trainable(config, context)

    try:
        se_tune.search(run, trainable_fn=breaks_on_trial_2)
        summary = run.finish()
    finally:
        run.close()
    assert summary["trials"] == 4 and summary["failed"] == 1
    by_id = {r["id"]: r for r in records(out)}
    assert by_id[2]["status"] == "failed"
    assert "its Ray trial" in by_id[2]["reason"] and "failed" in by_id[2]["reason"]
    assert all(by_id[i]["status"] == "trained" for i in (0, 1, 3))
    assert 2 not in summary["pareto"]


def test_bad_input_is_refused_with_the_clis_message_before_ray_starts(tune_command, cli, tmp_path):
    data = tmp_path / "digits.csv"
    data.write_text("a,b,label\n1,2,3\n4,five,6\n")
    for options in (
        ["--dataset", str(data), "--board", "arduino-uno"],
        ["--flash-bytes", "64", "--sram-bytes", "64"],
    ):
        argv = [*options, "--out", str(tmp_path / "run")]
        expected = cli("search", *argv).stderr.strip().splitlines()[-1]
        refused = tune_command(*argv)
        assert refused.returncode == 1
        assert refused.stderr.strip().splitlines()[-1] == expected
        assert "ray" not in refused.stderr.lower()
    assert not pathlib.Path(tmp_path / "run" / "state.json").exists()


def test_the_searcher_is_refused_when_tune_restores_it(tmp_path):
    path = tmp_path / "searcher.json"
    path.write_text(json.dumps({"run_folder": "/runs/a"}))
    searcher = se_tune.SparseSearcher.__new__(se_tune.SparseSearcher)
    with pytest.raises(RuntimeError, match="--resume /runs/a"):
        searcher.restore(str(path))


def test_a_search_runs_on_a_two_node_ray_cluster_given_by_its_address(tune_command, tmp_path):
    # Two raylets on this machine, each with its own object store: what `ray start` makes on
    # two hosts, the networks and the data crossing between stores.
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    try:
        cluster.wait_for_nodes()
        out = tmp_path / "run"
        done = tune_command(
            "--address", cluster.address, "--board", "arduino-uno", "--algorithm", "evolution",
            "--trials", "5", "--finetune", "1", "--finetune-top", "1", *SMALL, "--out", str(out),
        )
        assert done.returncode == 0, done.stderr
        told = records(out)
        assert len(told) == 6 and all(r["status"] == "trained" for r in told), told
        # The fine-tune trains a kept network on: its weights went to a worker and back.
        finetuned = told[-1]
        parent = next(r for r in told if r["id"] == finetuned["parent"])
        assert finetuned["epochs"] == parent["epochs"] + 1
    finally:
        cluster.shutdown()


def test_a_trial_stopped_before_it_reports_trains_again_when_the_run_resumes(
    local_ray, cli, tmp_path
):
    out = tmp_path / "run"
    run = se.Run(["--board", "arduino-uno", "--trials", "2", *SMALL, "--out", str(out)])
    store = se_tune.NetworkStore.options(name="networks-stopped").remote()
    searcher = se_tune.SparseSearcher(run, "networks-stopped")
    job = searcher.suggest("tune-trial-a")["job"]
    assert run.in_flight == 1
    # Tune stops a pending or running trial that never reported (Ctrl-C): no record.
    searcher.on_trial_complete("tune-trial-a")
    assert (run.in_flight, run.told) == (0, 0)
    run.close()
    local_ray.kill(store)
    assert records(out) == []
    resumed = cli("search", "--resume", str(out), "--trials", "2")
    assert resumed.returncode == 0, resumed.stderr
    assert sorted(r["id"] for r in records(out)) == [job["id"], job["id"] + 1]


def test_ctrl_c_stops_the_search_and_the_cli_carries_it_on(cli, tmp_path):
    import signal
    import subprocess
    import sys

    out = tmp_path / "run"
    search = subprocess.Popen(
        [sys.executable, "-m", "sparse_explorer.tune", "--board", "arduino-uno", "--trials", "200",
         *SMALL, "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    for line in search.stderr:
        if line.startswith("trial 3/200"):
            break
    search.send_signal(signal.SIGINT)
    _, rest = search.communicate(timeout=120)
    assert search.returncode == 130, rest
    assert f"carry the run on with python -m sparse_explorer.tune --resume {out}" in rest
    told = len(records(out))
    assert 3 <= told < 200
    assert all(r["status"] == "trained" for r in records(out)), "a stopped trial is not a failure"
    resumed = cli("search", "--resume", str(out), "--trials", str(told + 2))
    assert resumed.returncode == 0, resumed.stderr
    assert len(records(out)) == told + 2


def test_a_time_limit_runs_the_search_through_ray_until_the_time_is_up(tune_command, tmp_path):
    # As the CLI's test of --time-limit: tiny trials, so the limit, not the default count of
    # 20 trials, ends the search.
    out = tmp_path / "run"
    done = tune_command(
        "--flash-bytes", "2800", "--sram-bytes", "2048", "--algorithm", "random",
        "--train-images", "60", "--test-images", "10", "--time-limit", "12s", "--no-teacher",
        "--out", str(out),
    )
    assert done.returncode == 0, done.stderr
    trials = len(records(out))
    assert trials > 20, f"only {trials} trials in 12 s"
