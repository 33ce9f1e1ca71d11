"""sparse-explorer's engine in Python: SpArSe's multi-objective search of small, pruned CNNs
for microcontrollers, one trial (train, prune, quantise, measure), datasets, the MCU cost model
and board presets, and run folders that the `sparse-explorer` command line resumes.

    >>> import sparse_explorer as se
    >>> data = se.Dataset("mnist", train_images=6000)
    >>> search = se.Search(board="arduino-uno", input=data.shape, classes=data.classes)
    >>> context = data.trial_context()
    >>> candidate = search.ask()
    >>> record, network = context.run(candidate)
    >>> search.tell(candidate["id"], record)

`sparse_explorer.tune` runs a whole search on Ray Tune (`python -m sparse_explorer.tune`).
"""

from sparse_explorer._engine import (
    Dataset,
    Run,
    Search,
    TrialContext,
    boards,
    cost,
    search_help,
)

__all__ = ["Dataset", "Run", "Search", "TrialContext", "boards", "cost", "search_help"]
