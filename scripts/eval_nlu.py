"""Held-out intent evaluation: fail when macro-F1 on tests/nlu_holdout.yml is too low.

The held-out set is never used for training. Prints per-intent F1, the number of
training examples per intent, and the macro-F1 gate.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def training_counts() -> Counter:
    counts: Counter = Counter()
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text()).get("nlu", []):
            if "intent" in block:
                lines = [ln for ln in block["examples"].splitlines() if ln.strip().startswith("-")]
                counts[block["intent"]] += len(lines)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--holdout", default="tests/nlu_holdout.yml")
    parser.add_argument("--out", default="results/nlu")
    parser.add_argument("--min-macro-f1", type=float, default=0.90)
    args = parser.parse_args()

    command = [
        sys.executable, "-m", "rasa", "test", "nlu", "--model", args.model,
        "--nlu", args.holdout, "--out", args.out, "--no-plot",
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stdout[-4000:], result.stderr[-4000:], file=sys.stderr)
        return 1
    report = json.loads((ROOT / args.out / "intent_report.json").read_text())
    counts = training_counts()
    print(f"{'intent':28} {'train ex.':>9} {'holdout n':>9} {'F1':>6}")
    for intent, row in sorted(report.items()):
        if not isinstance(row, dict) or "support" not in row or intent.endswith("avg"):
            continue
        print(f"{intent:28} {counts.get(intent, 0):9d} {int(row['support']):9d} "
              f"{row['f1-score']:6.3f}")
    macro = report["macro avg"]["f1-score"]
    accuracy = report.get("accuracy")
    print(f"held-out intent macro-F1: {macro:.3f} (gate {args.min_macro_f1:.2f}); "
          f"accuracy: {accuracy:.3f}; training examples: {sum(counts.values())}")
    errors = ROOT / args.out / "intent_errors.json"
    if errors.exists():
        for miss in json.loads(errors.read_text())[:40]:
            print(f"  miss: {miss['text']!r} -> {miss['intent_prediction']['name']} "
                  f"(expected {miss['intent']})")
    return 0 if macro >= args.min_macro_f1 else 1


if __name__ == "__main__":
    sys.exit(main())
