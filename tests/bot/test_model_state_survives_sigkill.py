"""The toxicity model's state is journaled and a SIGKILL loses nothing beyond the last commit: a
process that learns and checkpoints step after step is killed at a random moment, and the model the
journal restores is, to the byte, the one that learned exactly up to the step it last committed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from defi_int.bot.journal import Journal
from defi_int.bot.loop import restore_scorer
from defi_int.keeper.toxicity.models import ToxicityConfig
from defi_int.keeper.toxicity.scorer import Scorer

HERE = Path(__file__).resolve().parent
WORLD = HERE.parent / "unit" / "toxicity"
CONFIG = ToxicityConfig(model="logistic", horizon=2, seed=3)

LEARNER = f"""
import sys
sys.path.insert(0, {str(WORLD)!r})
from toxicity_world import drive, lagging_oracle
from defi_int.bot.journal import Journal
from defi_int.keeper.toxicity.models import ToxicityConfig
from defi_int.keeper.toxicity.scorer import Scorer

config = ToxicityConfig(model="logistic", horizon=2, seed=3)
world = lagging_oracle(200, 11)
scorer = Scorer(config)
with Journal(sys.argv[1]) as journal:
    for step in range(world.steps):
        drive(scorer, world, range(step, step + 1))
        journal.save_model_state(step, scorer.state())
        print(step, flush=True)
"""


def learned_until(step: int) -> bytes:
    sys.path.insert(0, str(WORLD))
    try:
        from toxicity_world import drive, lagging_oracle
    finally:
        sys.path.remove(str(WORLD))
    scorer = Scorer(CONFIG)
    drive(scorer, lagging_oracle(200, 11), range(step + 1))
    return scorer.state()


@pytest.mark.parametrize("seed", [1, 2])
def test_a_sigkill_loses_no_learned_state_beyond_the_last_journal_commit(tmp_path, seed):
    path = tmp_path / "keeper.sqlite"
    Journal(path).close()  # the schema, before the learner opens it
    learner = subprocess.Popen(
        [sys.executable, "-c", LEARNER, str(path)], stdout=subprocess.PIPE, text=True, env={**os.environ}
    )
    assert learner.stdout is not None
    kill_after = random.Random(seed).randint(10, 40)
    for _ in range(kill_after):
        assert learner.stdout.readline().strip(), "the learner stopped before it was killed"
    learner.send_signal(signal.SIGKILL)
    assert learner.wait(timeout=30) == -signal.SIGKILL

    with Journal(path) as journal:
        saved = journal.model_state()
        assert saved is not None
        step, state = saved
        restored = restore_scorer(journal, CONFIG)
    assert step >= kill_after - 1  # the last commit it announced, or the one it made before dying
    assert state == learned_until(step) and restored.state() == state


def test_a_checkpoint_of_another_model_is_not_restored_and_a_fresh_one_starts(tmp_path):
    with Journal(tmp_path / "keeper.sqlite") as journal:
        journal.save_model_state(7, Scorer(CONFIG).state())
        fresh = restore_scorer(journal, ToxicityConfig(model="gbdt", horizon=2, seed=3))
    assert fresh.config.model == "gbdt" and fresh.state() == Scorer(fresh.config).state()
