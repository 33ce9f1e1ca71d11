"""The engine from Python without Ray: datasets, the search, one trial, the cost model and
boards, each checked against what the CLI does with the same input."""

import json
import pickle

import pytest

import sparse_explorer as se


def cli_error(completed):
    """The message the CLI printed when it refused its input."""
    assert completed.returncode != 0, completed.stdout
    line = completed.stderr.strip().splitlines()[-1]
    assert line.startswith("sparse-explorer: "), completed.stderr
    return line[len("sparse-explorer: ") :]


@pytest.mark.parametrize(
    "options",
    [
        ["--dataset", "no-such-data.csv", "--board", "arduino-uno"],
        ["--board", "no-such-board"],
        ["--flash-bytes", "64", "--sram-bytes", "64"],
        ["--board", "arduino-uno", "--epochs", "0"],
        ["--board", "arduino-uno", "--time-limit", "5 days"],
    ],
)
def test_a_run_refuses_bad_options_with_the_clis_message(cli, tmp_path, options):
    argv = [*options, "--out", str(tmp_path / "run")]
    expected = cli_error(cli("search", *argv))
    with pytest.raises(ValueError) as refused:
        se.Run(argv)
    assert str(refused.value) == expected
    assert not (tmp_path / "run" / "state.json").exists()


def test_a_malformed_csv_is_refused_with_the_clis_message(cli, tmp_path):
    data = tmp_path / "digits.csv"
    data.write_text("a,b,label\n1,2,3\n4,five,6\n")
    argv = ["--dataset", str(data), "--board", "arduino-uno", "--out", str(tmp_path / "run")]
    expected = cli_error(cli("search", *argv))
    with pytest.raises(ValueError) as refused:
        se.Run(argv)
    assert str(refused.value) == expected
    with pytest.raises(ValueError) as refused:
        se.Dataset(str(data))
    assert str(refused.value) == expected


def test_an_unknown_option_is_refused_as_clap_refuses_it(cli):
    expected = cli("search", "--no-such-option").stderr.splitlines()[0]
    with pytest.raises(ValueError) as refused:
        se.Run(["--no-such-option"])
    assert str(refused.value).splitlines()[0] == expected


def test_the_cost_model_and_boards_match_the_cli(cli, tmp_path):
    search = se.Search(board="arduino-uno", algorithm="random", seed=4)
    architecture = search.ask()["architecture"]
    path = tmp_path / "arch.json"
    path.write_text(json.dumps(architecture))
    for budget in [{}, {"board": "rpi-pico"}, {"flash_bytes": 4000, "sram_bytes": 900}]:
        flags = [f"--{k.replace('_', '-')}={v}" for k, v in budget.items()]
        printed = cli("cost", str(path), *flags)
        assert printed.returncode == 0, printed.stderr
        assert se.cost(architecture, **budget) == json.loads(printed.stdout)
    assert se.boards() == json.loads(cli("boards").stdout)
    with pytest.raises(ValueError, match="not a valid architecture description"):
        se.cost({"layers": "none"})


def test_a_search_pickles_through_its_json_and_asks_on_from_where_it_was():
    search = se.Search(flash_bytes=20_000, sram_bytes=4_000, algorithm="evolution", seed=7)
    first = search.ask()
    copy = pickle.loads(pickle.dumps(search))
    assert copy.to_json() == search.to_json()
    assert copy.ask() == search.ask()
    assert first["id"] == 0 and len(search) == 2
    with pytest.raises(ValueError, match="not a saved search"):
        se.Search.from_json("{}")


def test_a_trial_trains_measures_and_is_the_same_from_a_pickled_context():
    data = se.Dataset("mnist", train_images=1200, test_images=200)
    assert (data.shape, data.classes, data.train_len) == ((1, 28, 28), 10, 1200)
    search = se.Search(board="arduino-uno", input=data.shape, classes=data.classes, seed=3)
    candidate = search.ask()
    context = data.trial_context(seed=3)
    record, network = context.run(candidate)
    assert record["id"] == candidate["id"] and record["status"] == "trained", record
    assert 0 < record["val_accuracy"] <= 1 and record["model_size_bytes"] > 0
    shipped = json.loads(network)
    assert set(shipped) == {"float", "int8"}
    # The same images, settings and seed on the other side of a pickle: the same trial.
    again, _ = pickle.loads(pickle.dumps(context)).run(candidate)
    copy = pickle.loads(pickle.dumps(data))
    assert (copy.shape, copy.classes, copy.train_len, copy.test_len, copy.test_source) == (
        data.shape, data.classes, data.train_len, data.test_len, data.test_source)
    assert copy.trial_context(seed=3).run(candidate)[0]["val_accuracy"] == record["val_accuracy"]
    same = ["val_accuracy", "test_accuracy", "int8_test_accuracy", "model_size_bytes"]
    assert {k: again[k] for k in same} == {k: record[k] for k in same}
    search.tell(candidate["id"], record)
    assert search.pareto_front() in ([], [candidate["id"]])


def test_a_candidate_that_cannot_be_read_is_refused():
    context = se.Dataset("mnist", train_images=120, test_images=20).trial_context()
    with pytest.raises(ValueError, match="not a candidate"):
        context.run({"id": 0})


def test_a_runs_teacher_travels_with_its_trial_context(tmp_path):
    run = se.Run(["--board", "arduino-uno", "--train-images", "900", "--test-images", "100",
                  "--out", str(tmp_path / "run")])
    try:
        context = run.trial_context()
        copy = pickle.loads(pickle.dumps(context))
        assert context.has_teacher and copy.has_teacher
        assert copy.sizes == context.sizes == (750, 150, 100)
        job = run.next_job()
        here, _ = context.run(job["candidate"], seed=job["seed"])
        there, _ = copy.run(job["candidate"], seed=job["seed"])
        assert here["status"] == "trained"
        assert there["val_accuracy"] == here["val_accuracy"]
    finally:
        run.close()
