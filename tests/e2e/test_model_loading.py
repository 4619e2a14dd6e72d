"""DIET and TED load with their weights built by tracing the loss alone, not a
training step (bot/rasa_speedups.py): the networks must be exactly the ones Rasa's own
load gives.

The trained model is loaded both ways, each in a process of its own (a second
TensorFlow model of the same class in one process gets other layer names), and every
weight of every TensorFlow model is compared, with the intent rankings of a set of
messages.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = [
    "my legs feel heavy on every run", "about 40 km a week", "went from 20 to 30 km",
    "7 hours", "lots of pasta", "my shoes have 800 km on them", "my calf is swollen and hot",
    "why?", "thanks, what should I do first?", "start over", "no", "yes", "skip",
]
# Loads the model in a fresh process, Rasa's way or the project's, and prints a digest
# of every TensorFlow model's weights, the intent rankings and the time it took.
LOADER = """
import asyncio, hashlib, json, sys, time
from bot import rasa_speedups
if sys.argv[1] == "rasa":
    rasa_speedups.install = lambda: None  # the pipeline would install it
else:
    rasa_speedups.install()
from rasa.core.agent import load_agent
loop = asyncio.new_event_loop()
started = time.monotonic()
agent = loop.run_until_complete(load_agent(model_path=sys.argv[2]))
seconds = time.monotonic() - started
nets = {}
for name, node in agent.processor.graph_runner._instantiated_nodes.items():
    model = getattr(node._component, "model", None)
    if model is not None and hasattr(model, "get_weights"):
        digest = hashlib.sha256()
        weights = model.get_weights()
        for w in weights:
            digest.update(str(w.shape).encode() + w.tobytes())
        nets[name] = [len(weights), digest.hexdigest()]
rankings = [[[r["name"], r["confidence"]] for r in
             loop.run_until_complete(agent.parse_message(t))["intent_ranking"]]
            for t in json.loads(sys.argv[3])]
print("RESULT " + json.dumps({"seconds": seconds, "nets": nets, "rankings": rankings}))
"""


def _model_path() -> Path:
    current = ROOT / "models" / "current"
    if not current.exists():
        pytest.skip("no trained model (make train)")
    return ROOT / "models" / current.read_text().strip()


def _load(way: str, model: Path) -> Dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", LOADER, way, str(model), json.dumps(MESSAGES)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT "):])


def test_weights_built_from_the_loss_are_rasas_weights() -> None:
    model = _model_path()
    theirs, ours = _load("rasa", model), _load("project", model)
    assert len(theirs["nets"]) >= 2  # DIET and TED
    assert ours["nets"] == theirs["nets"]  # same names, counts and every weight
    assert ours["rankings"] == theirs["rankings"]
    print(f"model load: Rasa's way {theirs['seconds']:.1f} s, "
          f"weights from the loss {ours['seconds']:.1f} s")
