"""The desk's web pages: events, one event, feeds, alerts and the rules playground.

Server-rendered HTML (Jinja2, autoescaped) on Starlette, served by uvicorn (``server``):
`stmon web` serves it alone, `stmon run` beside the daemon when ``service.web.enabled``.
Every page reads the store through ``monitor.store``; the only writes are the re-send
of a dead alert (``store.outbox.requeue_dead``, as `stmon alerts retry`) and nothing
else: the playground classifies what is pasted and never writes a rules file.

``guard`` adds the security headers (a Content-Security-Policy without any script),
asks for ``service.web.token`` when one is set, and checks the CSRF token of every form.
"""
