"""Novelty: what is new among stored, classified items.

``stage.NoveltyStage`` runs after classification in the store transaction: ``dedup``
puts each item in a story (exact and near-duplicate text, ``minhash`` signatures),
``events`` places its labels in events (``cues`` reads actors, dates and state changes
from the text), and what changed is handed to the alert stage as ``EventNews``.
"""
