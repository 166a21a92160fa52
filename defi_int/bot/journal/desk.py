"""The desk part of the journal: hedges booked from their events, the loop's market samples, and the
batches' counterfactual re-matches.

Hedges and samples are kept by block, so ``unwind_reorg`` forgets those of blocks that are no
longer canonical. The samples are the report's time series (``defi-int keeper report``): one row
per market per step, a step being one look of the loop at a new block (at most every
``sample_interval``). The re-matches (``keeper.audit``) are records of decisions, not of the
chain: a reorg leaves them.
"""

from __future__ import annotations

from collections.abc import Sequence

from defi_int.bot.journal.base import Store
from defi_int.bot.journal.records import HedgeRecord, Sample
from defi_int.metrics.records import Counterfactual

_CF_COLUMNS = (
    "block_number, market, digest, trader, is_buy, variant, mark, internal, internal_price, amm, amm_quote, "
    "cf_internal, cf_internal_price, cf_amm, cf_amm_quote"
)


class DeskJournal(Store):
    """Hedges and samples: see the module docstring."""

    def record_hedge(self, hedge: HedgeRecord) -> bool:
        """Books a hedge from its ``Hedged`` event; False when it was booked already."""
        with self._write(durable=False) as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO hedges (tx_hash, log_index, block_number, block_hash, block_time, market, "
                "is_buy, size, quote, oracle_price, gas, booked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    hedge.tx_hash,
                    hedge.log_index,
                    hedge.block_number,
                    hedge.block_hash,
                    hedge.block_time,
                    hedge.market,
                    int(hedge.is_buy),
                    str(hedge.size),
                    str(hedge.quote),
                    str(hedge.oracle_price),
                    hedge.gas,
                    self.now(),
                ),
            )
            return cursor.rowcount == 1

    def hedges(self) -> list[HedgeRecord]:
        """Every booked hedge, in chain order."""
        rows = self._conn().execute(
            "SELECT tx_hash, log_index, block_number, block_hash, block_time, market, is_buy, size, quote, "
            "oracle_price, gas FROM hedges ORDER BY block_number, log_index"
        )
        return [
            HedgeRecord(bytes(h), i, b, bytes(bh), t, m, bool(buy), int(size), int(q), int(o), g)
            for h, i, b, bh, t, m, buy, size, q, o, g in rows
        ]

    def record_samples(self, samples: Sequence[Sample]) -> None:
        """Books one step of market samples (the report's time series)."""
        with self._write(durable=False) as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO samples (step, market, block_number, block_hash, time, oracle_price, amm_mid, "
                "inventory, desk_cash, fee_cash, insurance_cash, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        x.step,
                        x.market,
                        x.block_number,
                        x.block_hash,
                        x.time,
                        str(x.oracle_price),
                        str(x.amm_mid),
                        str(x.inventory),
                        str(x.desk_cash),
                        str(x.fee_cash),
                        str(x.insurance_cash),
                        self.now(),
                    )
                    for x in samples
                ],
            )

    def samples(self) -> list[Sample]:
        """Every market sample, by step and market."""
        rows = self._conn().execute(
            "SELECT step, market, block_number, block_hash, time, oracle_price, amm_mid, inventory, desk_cash, "
            "fee_cash, insurance_cash FROM samples ORDER BY step, market"
        )
        return [
            Sample(st, m, b, bytes(bh), t, int(o), int(mid), int(inv), int(dc), int(fc), int(ic))
            for st, m, b, bh, t, o, mid, inv, dc, fc, ic in rows
        ]

    def record_counterfactuals(self, changed: Sequence[Counterfactual]) -> None:
        """Keeps a batch's re-match changes (``Keeper.rematch``)."""
        if not changed:
            return
        with self._write() as conn:
            conn.executemany(
                f"INSERT INTO counterfactuals ({_CF_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (c.block, c.market, c.digest, c.trader, int(c.is_buy), c.variant,
                     *(str(v) for v in (c.mark, c.internal, c.internal_price, c.amm, c.amm_quote, c.cf_internal,
                                        c.cf_internal_price, c.cf_amm, c.cf_amm_quote)))
                    for c in changed
                ],
            )  # fmt: skip

    def counterfactuals(self) -> list[Counterfactual]:
        """Every re-match change, in the order recorded (``step`` is 0: the report places them)."""
        rows = self._conn().execute(f"SELECT {_CF_COLUMNS} FROM counterfactuals ORDER BY id")
        return [
            Counterfactual(0, b, m, bytes(d), t, bool(buy), v, *(int(x) for x in numbers))
            for b, m, d, t, buy, v, *numbers in rows
        ]

    def last_step(self) -> int | None:
        """The latest sample's step, if any."""
        row = self._conn().execute("SELECT MAX(step) FROM samples").fetchone()
        return None if row[0] is None else int(row[0])
