"""Kills during writes corrupt nothing: a child process writing (add a connection, save a
report, change the passphrase, store order history) is killed with SIGKILL at random points;
after each kill the integrity check passes, every secret decrypts and no committed write is
lost. `python -m bench.kill_trials` runs 100 trials."""

from __future__ import annotations

from bench.kill_trials import run_trials


def test_ten_kills_during_writes_corrupt_nothing(tmp_path):
    counts = run_trials(10, tmp_path, seed=11)
    assert counts.trials == 10
    assert counts.kills == 10  # the writer never stops on its own
    assert counts.integrity_failures == 0
    assert counts.undecryptable_secrets == 0
    assert counts.lost_writes == 0
    assert counts.writer_errors == 0
    assert counts.secrets_checked > 0
    assert {"add", "report", "passphrase", "history"} <= set(counts.steps)
