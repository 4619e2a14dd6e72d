"""Train the Rasa model only when its inputs changed.

The model is named after a hash of everything that goes into it (config, domain,
training data, the spaCy pipeline recipe and the project's component code), so a
repeated `make run` or `make test` reuses it instead of spending minutes training.
Prints the model path on the last line.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ["config.yml", "domain.yml", "data", "bot/nlu", "bot/nlp", "bot/policies",
          "bot/triage/second_opinion.py", "tests/safety/dev"]
MODELS = ROOT / "models"


def inputs_hash() -> str:
    digest = hashlib.sha256()
    for name in INPUTS:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def main() -> int:
    name = f"heavy-legs-{inputs_hash()}"
    model = MODELS / f"{name}.tar.gz"
    if model.exists():
        print(f"Model is up to date: {model.relative_to(ROOT)}")
    else:
        print(f"Training {name} (inputs changed or no model yet)...", flush=True)
        started = time.monotonic()
        command = [
            sys.executable, "-m", "rasa", "train",
            "--fixed-model-name", name, "--out", str(MODELS),
        ]
        result = subprocess.run(command, cwd=ROOT)
        if result.returncode != 0 or not model.exists():
            print("Training failed.", file=sys.stderr)
            return 1
        print(f"Training took {time.monotonic() - started:.0f} s", flush=True)
    (MODELS / "current").write_text(model.name + "\n")
    print(model.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
