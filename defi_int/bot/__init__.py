"""The keeper bot's service: the order API, the durable journal, metrics and circuit breakers.

The loop (view, plan, simulate, settle, confirm, reconcile; built on the keeper core) plugs into
what lives here; nothing here imports web3 or the chain layer::

    clients ──HTTP──▶ api (FastAPI) ──intake──▶ journal (SQLite) ◀── the loop: plan/sign/send/mine/
       ▲                 │ quotes, markets, /readyz, /metrics           confirm/reconcile, reasons,
       └─────────────────┴──────────── state (BotState) ◀── publish(snapshot): breakers, equity

- ``api``       — routes, error bodies, the body limit (``create_app(state)``); ``models`` the bodies
- ``intake``    — verifying a signed order or cancel with ``defi_int.orders``, then journaling it
- ``cancel``    — the ``CancelOrder`` EIP-712 message
- ``journal``   — orders, settle transactions through their stages, booked fills, breakers
- ``state``     — what the API and the loop share (snapshot, breakers, the loop's pulse)
- ``breakers``  — the pure evaluation of the circuit breakers; ``quote`` the pure quote
- ``metrics``   — Prometheus series; ``snapshot`` the market snapshot type; ``config`` the knobs
- ``serve``     — running the API under uvicorn in a thread; ``openapi`` writes/checks the document,
                  ``apidoc`` its text (the EIP-712 types, the units, a complete Python client)
- ``margin``    — intake's margin filter (``insufficient_margin``) on the ledger mirror's rule
- ``logs``      — one line per batch, hedge and liquidation; JSON lines on request
- ``lock``      — one keeper per journal

The loop's side (these import the chain layer): ``loop``, ``settling`` (sending, booking,
confirming, what reorgs undo), ``txmanager`` (nonces, fees, replacements), ``liquidating`` (the
liquidator's journaled sends), ``perpbook`` (funding and liquidations as booked), ``recovery`` (one
keeper per deployment; ``--recover``), ``booking``, ``chainwatch``, ``service``; the commands:
``deploying``, ``traders``, ``tools`` (fund, order sign|post|status|list|cancel), ``status``,
``report``, and the ``audit``.
"""
