"""Schema upgrades: an ordered list of steps, each taking a store from the version
before it to ``Step.version``. ``Store.upgrade()`` runs the steps a store lacks, each in
one atomic write with ``meta.schema_version`` set to its version; nothing else
upgrades a store (``exists()`` only answers, and reads and writes refuse an old one).

To change the schema: bump ``schema.SCHEMA_VERSION``, append a step that returns the
layers to write in their new form, and regenerate ``docs/schema.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from gridmap import schema


@dataclass(frozen=True)
class Step:
    """``apply(store)`` returns the layers to (re)write to reach ``version``."""

    version: int
    doc: str
    apply: Callable[..., Mapping[str, pd.DataFrame]]


def _every_layer(store) -> dict[str, pd.DataFrame]:
    return {layer: schema.empty(layer) for layer in schema.LAYERS
            if layer not in store.layers()}


STEPS: tuple[Step, ...] = (
    # Version 1 stores grew layers (cases, needs, tokens, accounts, ...) and the data
    # version counter over time, and were upgraded silently on open.
    Step(2, "every layer present (those missing added empty) and the data version "
         "counted by triggers", _every_layer),
    Step(3, "persons, feeds, feed_rows, alerts and alert_events added (data matching); "
         "providers, entitlements and service_records added (services)", _every_layer),
    Step(4, "service_orders added (cases and needs order a service)", _every_layer),
)
