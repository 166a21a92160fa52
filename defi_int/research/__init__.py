"""Research at scale: many runs of a scenario on Dask, and what they say together.

The top room of the package (it drives ``sim`` and reads ``metrics``; nothing imports it but the CLI
and ``defi_int``'s lazy exports):

- ``runs``: one run (``RunSpec``: scenario text, overrides, seed), its key, ``execute`` on a worker
  (its own embedded chain), the run's ``figures``, and the resumable ``Ledger`` (``runs.jsonl``);
- ``engine``: ``run_specs`` on a Dask ``LocalCluster`` or a scheduler by address;
- ``stats``: mean, sd and the 95 % CI of a figure over seeds, and of paired differences;
- ``sweep``: ``defi-int sweep`` (a grid of overrides × seeds, per-cell statistics);
- ``compare``: ``defi-int compare`` (two keeper policies on identical order flow);
- ``avellaneda``: ``defi-int experiment avellaneda-stoikov`` (the paper's table, on chain);
- ``study``: a study's overrides as columns and lines, and the manifest (``study.json``) guarding its directory;
- ``report``: Parquet and CSV tables, the study charts (plotly) and helpers of ``report.html`` for all of them;
- ``api``: ``sweep``, ``compare`` and ``experiment`` from Python, returning DataFrames (exported by ``defi_int``);
- ``commands``: the CLI's subcommands, thin drivers of ``api``.
"""
