"""Running as a service: systemd notifications, metrics, health and source health.

``systemd``  sd_notify (READY, STATUS, WATCHDOG, RELOADING, STOPPING); no-op off systemd
``metrics``  Prometheus counters the pipeline feeds, and gauges read from the store
``health``   source health (each feed's learned rhythm) and the service's own health
``http``     the optional ``/metrics`` and ``/healthz`` endpoint, on 127.0.0.1 by default
``settings`` the ``service:`` section of monitor.yaml
"""
