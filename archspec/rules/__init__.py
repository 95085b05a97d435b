"""The design-rule checker behind ``archspec lint``: rules, targets, configuration, docs.

Importing the package registers every rule family in :data:`archspec.rules.registry.RULES`
(guidelines G1–G4, structure S1xx, hardware H1xx, suppressions A001). Nothing here imports torch.
"""

from archspec.rules import (  # noqa: F401
    conv_memory,
    fragmentation,
    guidelines,
    hardware,
    operators,
    structure,
    suppressions,
)
