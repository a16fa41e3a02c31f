"""Fingerprints that make Rasa retrain a component when its module changes.

Rasa's training cache keys a component on its class's source, its config and its inputs, not on
the module-level functions it calls: change ``scaled_row`` in ``intent_classifier.py`` and
``rasa train`` reuses the classifier trained with the old one, which then fails or, worse,
silently mispredicts. Components whose behaviour lives partly outside their class return
:func:`modules_fingerprint` from ``fingerprint_addon``.
"""

from __future__ import annotations

import hashlib
import inspect
from types import ModuleType


def modules_fingerprint(*modules: ModuleType) -> str:
    """A hash of the source code of ``modules``."""
    digest = hashlib.sha256()
    for module in modules:
        digest.update(inspect.getsource(module).encode("utf-8"))
    return digest.hexdigest()
