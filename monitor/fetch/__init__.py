"""Fetch: one conditional GET per feed, bounded and polite.

``client`` turns a feed's stored validators into a request and the answer into a
``FetchResult`` (new body, 304, or a ``FetchError``); ``headers`` reads what the server
says about when to come back (Cache-Control, Retry-After, TTL) and the backoff after
failures; ``transport`` and ``network`` carry the HTTP connections.
"""
