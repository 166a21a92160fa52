"""``keccak256`` equals eth-utils' Keccak-256 on inputs of every length around the 136-byte block, from
several threads at once (each has its own state)."""

from __future__ import annotations

import os
import threading

from eth_utils.crypto import keccak

from defi_int.keccak import keccak256


def test_keccak256_is_ethereums_keccak_on_every_length_around_a_block():
    for length in [*range(0, 300), 1_000, 10_000]:
        data = os.urandom(length)
        assert keccak256(data) == keccak(data), length


def test_threads_hashing_at_once_do_not_share_a_state():
    failures: list[int] = []

    def hash_many(seed: int) -> None:
        for i in range(2_000):
            data = os.urandom(seed + i % 200)
            if keccak256(data) != keccak(data):
                failures.append(seed)

    threads = [threading.Thread(target=hash_many, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
