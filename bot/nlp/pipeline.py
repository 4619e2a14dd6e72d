"""Build and save the project's own spaCy pipeline.

No pretrained spaCy model can be downloaded here (nor in a user's CI), so the
bot ships its own: a blank English pipeline with spaCy's rule-based tokenizer and
a lookup lemmatizer whose tables come from the ``spacy-lookups-data`` package.
Rasa's ``SpacyNLP`` loads the saved folder by path (see ``config.yml``), and the
project's NLU components read tokens and lemmas from the docs it makes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import spacy
from spacy.language import Language

DEFAULT_OUTPUT = Path("build/spacy_pipeline")
PIPELINE_VERSION = "1"  # bump when the recipe below changes, to force a rebuild


def build_pipeline() -> Language:
    """Return a blank English pipeline with a lookup lemmatizer, initialised."""
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    # initialize() loads the lookup tables from spacy-lookups-data (installed from PyPI).
    nlp.initialize()
    nlp.meta["name"] = "heavy_legs_pipeline"
    nlp.meta["version"] = f"{PIPELINE_VERSION}.0.0"
    nlp.meta["description"] = "Blank English + lookup lemmatizer, built by bot.nlp.pipeline"
    return nlp


def recipe_fingerprint() -> str:
    """A fingerprint of what the pipeline is built from, for rebuild decisions."""
    payload = {"version": PIPELINE_VERSION, "spacy": spacy.__version__}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def ensure_pipeline(output: Path = DEFAULT_OUTPUT, force: bool = False) -> Path:
    """Build the pipeline into ``output`` unless an up-to-date build is there."""
    stamp = output / "fingerprint.txt"
    fingerprint = recipe_fingerprint()
    if not force and stamp.exists() and stamp.read_text().strip() == fingerprint:
        return output
    nlp = build_pipeline()
    output.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    stamp.write_text(fingerprint + "\n")
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    path = ensure_pipeline(args.output, force=args.force)
    print(f"spaCy pipeline ready at {path}")


if __name__ == "__main__":
    main()
