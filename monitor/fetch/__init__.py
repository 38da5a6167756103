"""Fetch: one conditional GET per feed, bounded and polite.

``client`` turns a feed's stored validators into a request and the answer into a
``FetchResult`` (new body, 304, or a ``FetchError``); ``headers`` works out from the
server's hints (Cache-Control, Retry-After, TTL) when to come back, and the backoff after
failures (Retry-After and the backoff itself are ``monitor.retry``'s); ``transport`` holds
what the shared client adds to httpx's own transport and connection pool; ``decode``
decodes the Content-Encoding with a bound on the output; ``redirects`` says which
redirects are refused and which moves are stored; ``failures`` turns httpx's exceptions
into ``FetchError``.
"""
