"""Research at scale: many runs of a scenario on Dask, and what they say together.

The top room of the package (it drives ``sim`` and reads ``metrics``; nothing imports it but the CLI):

- ``runs``: one run (``RunSpec``: scenario text, overrides, seed), its key, ``execute`` on a worker
  (its own embedded chain), the run's ``figures``, and the resumable ``Ledger`` (``runs.jsonl``);
- ``engine``: ``run_specs`` on a Dask ``LocalCluster`` or a scheduler by address;
- ``stats``: mean, sd and the 95 % CI of a figure over seeds, and of paired differences;
- ``sweep``: ``defi-int sweep`` (a grid of overrides × seeds, per-cell statistics);
- ``compare``: ``defi-int compare`` (two keeper policies on identical order flow);
- ``avellaneda``: ``defi-int experiment avellaneda-stoikov`` (the paper's table, on chain);
- ``report``: Parquet and CSV tables, plots and ``report.html`` for all of them;
- ``commands``: the CLI's subcommands.
"""
