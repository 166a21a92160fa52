"""The desk part of the journal: hedges booked from their events, and the loop's market samples.

Both are kept by block, so ``unwind_reorg`` forgets those of blocks that are no longer canonical.
The samples are the report's time series (``defi-int keeper report``): one row per market per
step, a step being one look of the loop at a new block (at most every ``sample_interval``).
"""

from __future__ import annotations

from collections.abc import Sequence

from defi_int.bot.journal.base import Store
from defi_int.bot.journal.records import HedgeRecord, Sample


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

    def last_step(self) -> int | None:
        """The latest sample's step, if any."""
        row = self._conn().execute("SELECT MAX(step) FROM samples").fetchone()
        return None if row[0] is None else int(row[0])
