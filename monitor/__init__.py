"""stmon: a news-monitoring daemon for Seoul–Tokyo relations."""

__version__ = "0.1.0"
