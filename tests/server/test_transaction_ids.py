"""Authentication transaction ids: UUID version 7, unique, growing with time."""

from __future__ import annotations

import time
import uuid

from server.authentication import new_transaction_id


def test_a_transaction_id_is_a_uuid7_as_32_hex_digits() -> None:
    before = time.time_ns() // 1_000_000
    txn = new_transaction_id()
    after = time.time_ns() // 1_000_000
    assert len(txn) == 32 and set(txn) <= set("0123456789abcdef")
    parsed = uuid.UUID(hex=txn)
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert before <= int(txn[:12], 16) <= after  # the first 48 bits are the Unix time in ms


def test_transaction_ids_are_unique_and_ordered_by_millisecond() -> None:
    ids = []
    for _ in range(20):
        ids += [new_transaction_id() for _ in range(500)]
        time.sleep(0.002)
    assert len(set(ids)) == len(ids)
    millis = [int(t[:12], 16) for t in ids]
    assert millis == sorted(millis)
    assert len(set(millis)) >= 20  # the clock moved between the rounds
