"""config.yml passes Rasa's own graph validation, the check `rasa train` runs first.

Rasa checks every component's constructor signature against its reserved parameter
types (a `create` with `model_storage: Any` is refused), so a component change can
break training although every unit test of the component passes. This runs the same
validation without training.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_config_yml_passes_rasas_graph_validation() -> None:
    import rasa.engine.validation
    from rasa.engine.recipes.recipe import Recipe

    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    recipe = Recipe.recipe_for_name(config.get("recipe"))
    model_configuration = recipe.graph_config_for_recipe(config, {})
    rasa.engine.validation.validate(model_configuration)  # raises on a bad component
    names = {node.uses.__name__ for schema in (model_configuration.train_schema,
                                               model_configuration.predict_schema)
             for node in schema.nodes.values()}
    assert {"SpacyNLP", "RedFlagDetector", "EscalationPolicy", "TEDPolicy"} <= names
