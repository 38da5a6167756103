"""The store: every SQL statement stmon runs lives in this package.

Stages, the service and the CLI call named functions here (reads as questions:
``active_feeds``, ``recent_guids``; writes as commands: ``add_items``, ``claim_due_alerts``)
and get plain records (``monitor.model``) or tuples back; they are given a ``Session``
(``db.Session``) for the transaction and hand it on. One module per table family:

- ``db``: engine, sessions (one transaction each), savepoints, the database ping.
- ``tables``: the ORM tables; ``migrate`` and ``migrations/``: the schema's versions.
- ``driver``: statements at the database driver (multi-row ``VALUES``, ``ON CONFLICT``).
- ``feeds``: feeds and their fetch state; ``leases``: who polls which feed.
- ``items``: items, the feeds that carried them (sources), their classifications.
- ``stories``: stories of near-duplicate items and their MinHash band keys.
- ``events``: events and the items covering them.
- ``outbox``: alerts (immediate, digest, storm, health) and their delivery state.
- ``status``: counts and times for health, the status line and /metrics (reads only).
- ``instances``: running instances, heartbeats, reclaiming a dead one's work.
- ``prune``, ``backup``: deleting old data; copying a SQLite database.
- ``writer``: the one writer thread that commits the poll's store work.

The novelty stage reads and writes events through ``events.EventRows`` at the driver:
the changed columns of the events it changed are written before its next statement.
"""
