"""Exceptions, each with the exit code the CLI gives it."""


class NewscleanError(Exception):
    exit_code = 1


class UsageError(NewscleanError):
    """Bad option, missing input path, unwritable output folder: exit code 2."""

    exit_code = 2


class StrictError(NewscleanError):
    """A bad input under ``--strict``: exit code 1, nothing written."""

    exit_code = 1


class RunError(NewscleanError):
    """The machine failed the run — a full disk, no worker processes: exit code 1. The
    previous outputs stay, and nothing temporary is left behind."""

    exit_code = 1
