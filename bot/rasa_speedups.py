"""Rasa 3.6 hot-path fixes that change no behaviour, applied when the model loads.

``RemoteAction._validate_action_result`` checks every answer of the action server
with ``jsonschema.validate(result, schema)``. That function first validates the
*schema itself* against the JSON-Schema meta-schema and builds a new validator,
on every call: about 30 ms of CPU on these machines, twice per turn for this bot
(``action_track_facts`` through the custom slot mapping, then the form's
validation), which was half of a turn's time (py-spy, docs/performance.md).

:func:`install` swaps in a version that checks the schema and builds the validator
once, then validates each answer against it: the same schema, the same
``ValidationError`` with the same message, about 0.4 ms.

``RasaModel.load`` (DIET and TED) builds the network's weights by *training one
step* on an example batch with ``model.fit``, then overwrites them with the saved
weights. ``fit`` first traces Keras's whole training function (the loss, its
gradients and the optimizer's update) into a TensorFlow graph: on these machines
about 11 of the 26 s it takes to load the model, on every start of every server and
replica (docs/performance.md). :func:`install` builds the weights by tracing the
loss alone on the same batch: the same layers are called in the same graph mode
(autograph traces both sides of the models' branches either way), so the same
variables are created, without gradients or an optimizer step; the saved weights
then replace them as before (the optimizer's saved slots are not needed to
predict), and predictions are traced as before. tests/e2e/test_model_loading.py
loads the trained model both ways and compares every weight and the intent
rankings.

Open-source Rasa has no plugin hook for this, so the project's first pipeline
component (:class:`bot.nlp.bounded_spacy.SpacyNLP`, loaded before DIET and TED) and
:class:`bot.policies.escalation.EscalationPolicy` call :func:`install` when they are
created: every way of serving this project's models (``rasa run``, ``rasa shell``,
``rasa test``) loads them. Nothing happens at import.
"""

from __future__ import annotations

import functools
from typing import Any, Dict

_MARK = "_heavy_legs_cached_validation"


@functools.lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    from jsonschema import validators
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
    """Rasa's ``RemoteAction._validate_action_result`` with a validator built once."""
    from jsonschema import ValidationError
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        _action_response_validator().validate(result)
        return True
    except ValidationError as error:
        # The same message Rasa adds (rasa/core/actions/action.py).
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error


# The models whose weights are built by tracing the loss alone, checked to give
# Rasa's own weights (tests/e2e/test_model_loading.py). Built eagerly instead, TED
# would miss the layers of the branches an eager step does not take.
_LOSS_BUILD_MODELS = frozenset({"DIET", "TED"})


def _load_building_from_the_loss(original: Any) -> Any:
    """``RasaModel.load`` that builds the weights by tracing the loss, not a training step."""

    @functools.wraps(original.__func__)
    def load(cls: Any, model_file_name: str, model_data_example: Any,
             predict_data_example: Any = None, finetune_mode: bool = False,
             *args: Any, **kwargs: Any) -> Any:
        if finetune_mode or cls.__name__ not in _LOSS_BUILD_MODELS:
            # training goes on, or a model not checked: Rasa's own path
            return original.__func__(cls, model_file_name, model_data_example,
                                     predict_data_example, finetune_mode, *args, **kwargs)
        import tensorflow as tf
        from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
        from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator

        config = kwargs.get("config", {})
        model = cls(*args, **kwargs)
        model.compile(optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)),
                      run_eagerly=config.get(RUN_EAGERLY))
        batch_in, _ = RasaBatchDataGenerator(model_data_example, batch_size=1)[0]
        model._training = True  # as in Rasa's train_step, which fit would run
        tf.function(model.batch_loss)(batch_in)  # traced: every layer built, no gradients
        # the optimizer's slots are in the file but not needed to predict
        model.load_weights(model_file_name).expect_partial()
        if predict_data_example:
            model.run_inference(predict_data_example)
        return model

    setattr(load, _MARK, True)
    return classmethod(load)


def install() -> None:
    """Apply the fixes (idempotent)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.tensorflow.models import RasaModel

    if not getattr(RasaModel.load, _MARK, False):
        RasaModel.load = _load_building_from_the_loss(  # type: ignore[method-assign]
            RasaModel.__dict__["load"])

    if getattr(RemoteAction._validate_action_result, _MARK, False):
        return
    setattr(_validate_action_result, _MARK, True)
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
