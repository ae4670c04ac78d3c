"""generate(): the one-call entry point used by the CLI, and its determinism across processes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pandas as pd
import pytest

from synthetic import InvalidArgumentError, generate, generate_population


def test_without_duplicates_there_is_no_truth() -> None:
    records, truth = generate(300, 3)
    assert truth is None
    pd.testing.assert_frame_equal(records, generate_population(300, 3))


def test_with_duplicates() -> None:
    records, truth = generate(1_000, 3, 0.2)
    assert truth is not None
    assert len(records) == len(truth) > 1_000
    assert records["entity_id"].nunique() == 1_000
    assert (truth["record_id"].to_numpy() == records["record_id"].to_numpy()).all()
    again, again_truth = generate(1_000, 3, 0.2)
    pd.testing.assert_frame_equal(records, again)
    assert again_truth is not None
    pd.testing.assert_frame_equal(truth, again_truth)


@pytest.mark.parametrize("rate", [-1, 2, "x"])
def test_invalid_duplicate_rate(rate: object) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        generate(10, 1, rate)  # type: ignore[arg-type]
    assert info.value.argument == "duplicate_rate"


_DIGEST = (
    "import hashlib, pandas as pd, synthetic; r, t = synthetic.generate(2000, 5, 0.3); "
    "print(hashlib.sha256(pd.util.hash_pandas_object(r, index=False).values.tobytes()).hexdigest())"
)


def test_same_output_in_other_processes_whatever_the_hash_seed() -> None:
    records, _ = generate(2_000, 5, 0.3)
    local = hashlib.sha256(pd.util.hash_pandas_object(records, index=False).values.tobytes()).hexdigest()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", _DIGEST], env=env, check=True, capture_output=True, text=True
        ).stdout.strip()
        assert out == local
