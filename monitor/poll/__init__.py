"""Poll: one feed cycle from due feed to stored, classified items.

``poller.Poller`` claims due feeds, fetches them (``monitor.fetch``), has their bodies
parsed in ``parser_process`` children (``monitor.parse``; ``parse_pool`` runs them), and
hands the items to the store writer, whose transaction runs the stages after the store
(classify → novelty → alert routing). This package imports nothing at start-up, so a
parser process (``python -m monitor.poll.parser_process``) loads only what it uses.
"""
