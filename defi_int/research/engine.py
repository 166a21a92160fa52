"""Runs a study's specs on Dask distributed and records each finished run in the ledger.

``run_specs(specs, ledger, workers=K | scheduler="tcp://HOST:PORT")``:

1. the keys of ``specs`` that the ledger already holds as ``ok`` are skipped (resuming);
2. a client connects to the scheduler at ``scheduler``, or starts a ``LocalCluster`` of ``workers``
   processes with one thread each (the EVM and the keeper are pure Python: threads would share
   one interpreter lock);
3. every remaining spec is submitted once (``execute`` on a worker; each builds its own chain),
   and rows are written to the ledger as they arrive (``as_completed``), so an interrupted study
   keeps every run that finished;
4. ``progress(done, total)`` is called after each run (the CLI draws a bar with it), and
   ``dashboard(address)`` once the client is connected, with the Dask dashboard's address
   (``Client.dashboard_link``: live task stream, workers' CPU and memory; served by bokeh).

A study of several batches (the toxicity experiment's tuning rounds, then its evaluation) keeps one
client from ``connect`` and passes it to each ``run_specs``.

A run that raises inside the simulation comes back as an ``error`` row (``runs.execute``); a worker
that dies takes its run with it and Dask reschedules it elsewhere, and a run lost for good (the
scheduler gives up on it) is recorded as an ``error`` row naming why, so the study still ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from defi_int.research.runs import Ledger, Measure, Row, RunSpec, code_version, execute

Progress = Callable[[int, int], None]


def pending(specs: Sequence[RunSpec], ledger: Ledger, code: str) -> list[RunSpec]:
    """The specs whose runs have not finished ``ok`` yet, without duplicates, in order."""
    seen: set[str] = set()
    todo = []
    for spec in specs:
        key = spec.key(code)
        if key in seen or ledger.done(key):
            continue
        seen.add(key)
        todo.append(spec)
    return todo


def run_specs(
    specs: Sequence[RunSpec],
    ledger: Ledger,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    progress: Progress | None = None,
    dashboard: Callable[[str], None] | None = None,
    measure: Measure | None = None,
    client: Any = None,
) -> list[Row]:
    """Runs what is pending on Dask and returns the new rows (also appended to ``ledger``);
    ``measure`` adds a study's own figures to each row (``runs.execute``); ``client``: a client
    from ``connect`` that a study running several batches keeps (else one is made for this batch)."""
    code = code_version()
    todo = pending(specs, ledger, code)
    if progress is not None:
        progress(0, len(todo))
    if not todo:
        return []

    from distributed import as_completed

    rows = []
    with ExitStack() as stack:
        if client is None:
            client = stack.enter_context(connect(workers=workers, scheduler=scheduler, dashboard=dashboard))
        futures = {client.submit(execute, spec, code, measure, pure=False): spec for spec in todo}
        for done, future in enumerate(as_completed(futures), start=1):  # type: ignore[no-untyped-call]
            spec = futures[future]
            row = _row(future, spec, code)
            ledger.append(row)
            rows.append(row)
            if progress is not None:
                progress(done, len(todo))
    return rows


@contextmanager
def connect(
    *, workers: int = 2, scheduler: str | None = None, dashboard: Callable[[str], None] | None = None
) -> Iterator[Any]:
    """A Dask client: to the scheduler at ``scheduler``, or to a new ``LocalCluster`` of ``workers``
    processes (closed, with the cluster, on leaving); ``dashboard`` is told its dashboard's address."""
    from distributed import Client, LocalCluster

    with ExitStack() as stack:
        if scheduler is None:
            cluster = stack.enter_context(
                LocalCluster(  # type: ignore[no-untyped-call]
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address="127.0.0.1:0",  # its HTTP routes on a free loopback port
                    host="127.0.0.1",
                    # a worker's heartbeat racing the cluster's shutdown logs a traceback at ERROR;
                    # a run's own failure is its row, so only CRITICAL reaches the terminal
                    silence_logs=50,
                )
            )
            client = stack.enter_context(Client(cluster))  # type: ignore[no-untyped-call]
        else:
            client = stack.enter_context(Client(scheduler, timeout="30s"))  # type: ignore[no-untyped-call]
        if dashboard is not None:
            dashboard(str(client.dashboard_link))
        yield client


def _row(future: Any, spec: RunSpec, code: str) -> Row:
    """The finished future's row; a run Dask lost (its worker died for good) becomes an error row."""
    try:
        row: Row = future.result()
        return row
    except Exception as exc:  # the task itself failed outside ``execute`` (a killed worker ...)
        return {
            "key": spec.key(code),
            "status": "error",
            "error": f"{type(exc).__name__}: {exc}",
            "seed": spec.seed,
        }
