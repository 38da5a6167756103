"""Exit codes of every command: 0 ok, 1 runtime failure, 2 bad usage or config."""

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2
