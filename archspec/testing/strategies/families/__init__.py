"""One generator module per block family, named by the family's tag and found by it
(:mod:`archspec.testing.strategies.registry`); each defines ``GENERATOR``."""
