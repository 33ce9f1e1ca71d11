"""SpArSe on Ray Tune.

`SparseSearcher` is a Ray Tune searcher over a run folder (`sparse_explorer.Run`): each
`suggest` gives out the run's next job (a new candidate, a morph of a good network, a
promotion), `trainable` trains it on a Ray worker (`TrialContext.run`, the GIL released), and
`on_trial_complete` tells the run, which writes `trials.jsonl`, `pareto.json`, `state.json`
and `networks/` exactly as `sparse-explorer search` does; the CLI resumes the folder.

The data travels once per run: the trial context (images, soft targets of the teacher) goes
into Ray's object store through `tune.with_parameters`. Networks travel through a small actor,
`NetworkStore`: a parent's weights from the searcher to the worker training its child, a
trained network back to the searcher, so neither passes through Tune's configs or results
(which Tune keeps and writes out).

`search(run)` runs it all; `python -m sparse_explorer.tune` is the command line.
"""

import json
import os
import uuid
from typing import Callable, Dict, Optional

import ray
from ray import tune
from ray.tune.search import ConcurrencyLimiter, Searcher

from sparse_explorer._engine import Run, TrialContext

__all__ = ["NetworkStore", "SparseSearcher", "trainable", "search"]


@ray.remote(num_cpus=0)
class NetworkStore:
    """Networks (JSON text) on their way between the searcher and the trials, keyed by
    ("parent", id) for a kept network a job starts from and ("trained", id) for a network
    just trained."""

    def __init__(self):
        self._networks = {}

    def put(self, key, network: str) -> None:
        self._networks[tuple(key)] = network

    def get(self, key) -> Optional[str]:
        return self._networks.get(tuple(key))

    def take(self, key) -> Optional[str]:
        return self._networks.pop(tuple(key), None)

    def drop(self, keys) -> None:
        for key in keys:
            self._networks.pop(tuple(key), None)


def trainable(config: Dict, context: TrialContext) -> None:
    """Ray Tune's trainable: trains the job in `config` (from `SparseSearcher.suggest`) on
    `context` and reports its record as JSON. A failure inside training is a record with
    status "failed"; an error around it (the store unreachable) is reported as `error`."""
    job = config["job"]
    # candle's matrix products split into RAYON_NUM_THREADS threads, read at every product
    # (crates/cli/src/threads.rs): no more than the CPUs Tune reserved for this trial. Set
    # before this process's first trial; no trial runs beside it.
    os.environ.setdefault("RAYON_NUM_THREADS", str(config["threads"]))
    try:
        store = ray.get_actor(config["store"])
        parent = None
        if job["parent"] is not None:
            parent = ray.get(store.get.remote(("parent", job["parent"])))
        record, network = context.run(
            job["candidate"], seed=job["seed"], parent=parent, threads=config["threads"]
        )
        if network is not None:
            ray.get(store.put.remote(("trained", job["id"]), network))
        tune.report(
            {
                "record": json.dumps(record),
                "val_accuracy": record.get("val_accuracy") or 0.0,
            }
        )
    except Exception as error:  # any error around the training is this trial's failure
        tune.report({"error": f"{type(error).__name__}: {error}", "val_accuracy": 0.0})


class SparseSearcher(Searcher):
    """A Ray Tune searcher that gives out the jobs of `run` and tells it their results.

    `store_name` names a live `NetworkStore` actor; `threads` is the CPUs each trial has (its
    matrix threads). `on_told(record)` is called with each record as told. Tune must sample
    until the searcher finishes (`num_samples=-1`): it returns `Searcher.FINISHED` when the
    run is over (its trials, time limit and fine-tune done).
    """

    def __init__(
        self,
        run: Run,
        store_name: str,
        threads: int = 1,
        on_told: Optional[Callable[[Dict], None]] = None,
    ):
        super().__init__(metric="val_accuracy", mode="max")
        self.run = run
        self._store_name = store_name
        self._store = ray.get_actor(store_name)
        self._threads = threads
        self._on_told = on_told
        self._jobs: Dict[str, int] = {}
        self._parents = set()

    def suggest(self, trial_id: str):
        job = self.run.next_job()
        if job is None:
            return Searcher.FINISHED if self.run.in_flight == 0 else None
        parent = job["parent"]
        if parent is not None and parent not in self._parents:
            network = self.run.network(parent)
            ray.get(self._store.put.remote(("parent", parent), network))
            self._parents.add(parent)
        self._jobs[trial_id] = job["id"]
        return {"job": job, "store": self._store_name, "threads": self._threads}

    def on_trial_complete(self, trial_id: str, result: Optional[Dict] = None, error: bool = False):
        job_id = self._jobs.pop(trial_id, None)
        if job_id is None:
            return
        network = ray.get(self._store.take.remote(("trained", job_id)))
        if result and "record" in result:
            told = self.run.tell(result["record"], network)
        elif error or (result and "error" in result):
            reason = (result or {}).get("error") or (
                f"its Ray trial {trial_id} failed (the worker died or raised; "
                "Ray Tune's error file of that trial says why)"
            )
            told = self.run.fail(job_id, reason)
        else:
            # Stopped before it reported (the search was interrupted): not a result. A resume
            # trains it again, as after a kill.
            self.run.abandon(job_id)
            return
        gone = {p for p in self._parents if not self.run.keeps(p)}
        if gone:
            self._store.drop.remote([("parent", p) for p in gone])
            self._parents -= gone
        if self._on_told is not None:
            self._on_told(told)

    def __getstate__(self):
        # Tune pickles its searcher for `Tuner.restore`; a run (a locked folder) does not
        # travel, and the run folder is the search's checkpoint anyway.
        state = dict(self.__dict__)
        state.update(run=None, _store=None, _on_told=None, _run_folder=str(self.run.dir))
        return state

    def save(self, checkpoint_path: str):
        # The run folder is the search's checkpoint; Tune's copy only says where it is.
        with open(checkpoint_path, "w") as file:
            json.dump({"run_folder": str(self.run.dir)}, file)

    def restore(self, checkpoint_path: str):
        with open(checkpoint_path) as file:
            folder = json.load(file)["run_folder"]
        raise RuntimeError(
            f"resume the search with `python -m sparse_explorer.tune --resume {folder}` "
            f"(or `sparse-explorer search --resume {folder}`), not through Tune's restore"
        )


def _trial_name(trial) -> str:
    """A Tune trial named by the run's trial id, as trials.jsonl numbers it."""
    return f"trial_{trial.config['job']['id']}"


def search(
    run: Run,
    *,
    cpus_per_trial: int = 1,
    workers: Optional[int] = None,
    on_told: Optional[Callable[[Dict], None]] = None,
    trainable_fn=trainable,
):
    """Runs `run` to its end on the Ray cluster `ray.init` connected to, each trial on
    `cpus_per_trial` CPUs, at most `workers` at once (default: as many as the cluster's CPUs
    allow when the search starts). As in the CLI, a job is asked only when a worker is free
    for it, never queued ahead (a morph or a Bayesian choice made later knows more). Tune's
    own files go to `DIR/ray`. Returns Tune's `ResultGrid`; the run's results are its folder
    (`run.finish()` sums them up)."""
    store_name = f"sparse-explorer-networks-{uuid.uuid4().hex}"
    store = NetworkStore.options(name=store_name).remote()
    try:
        if workers is None:
            workers = max(1, int(ray.cluster_resources().get("CPU", 1)) // cpus_per_trial)
        searcher = ConcurrencyLimiter(
            SparseSearcher(run, store_name, threads=cpus_per_trial, on_told=on_told),
            max_concurrent=workers,
        )
        train = tune.with_resources(
            tune.with_parameters(trainable_fn, context=run.trial_context()),
            {"cpu": cpus_per_trial},
        )
        tuner = tune.Tuner(
            train,
            tune_config=tune.TuneConfig(
                search_alg=searcher,
                num_samples=-1,
                reuse_actors=True,
                trial_name_creator=_trial_name,
                trial_dirname_creator=_trial_name,
            ),
            run_config=tune.RunConfig(
                name="tune",
                storage_path=os.path.abspath(os.path.join(run.dir, "ray")),
                verbose=0,
            ),
        )
        return tuner.fit()
    finally:
        ray.kill(store)
