"""YAML for the knowledge files: like ``yaml.safe_load``, but a key given twice is an error.

PyYAML keeps the last of two equal keys without a word, so a block pasted twice (or a
class defined again further down) silently replaces the first one: words a clinician
reviewed would stop counting. The knowledge loaders read through this instead.
"""

from __future__ import annotations

from typing import IO, Any, Union

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode


class DuplicateKeyError(ConstructorError):
    """A mapping in a knowledge file names the same key twice."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict:
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.get(key)
            except TypeError:  # unhashable key: SafeLoader reports it itself
                continue
            if first is not None:
                raise DuplicateKeyError(
                    "while reading a mapping", node.start_mark,
                    f"the key {key!r} is given twice (first on line {first})",
                    key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def load(stream: Union[str, bytes, IO[Any]]) -> Any:
    """Parse one YAML document, refusing a key given twice in any mapping."""
    return yaml.load(stream, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
