"""The one exception type that the command line turns into a one-line message."""


class AttnlibError(Exception):
    """A user-facing error: the message names the problem and the fix, on one line.

    The command line prints ``error: <message>`` and exits with status 2, without a traceback.
    Library callers get an ordinary exception they can catch.
    """


class DataError(AttnlibError):
    """A dataset file is missing, unreadable or corrupt, or a data directory does not exist."""


class ConfigError(AttnlibError, ValueError):
    """A configuration value is not one of the allowed values."""


class OneLineWarning(UserWarning):
    """A warning the command line prints as one line, ``warning: <message>``, and goes on."""


class CorruptFileWarning(OneLineWarning):
    """A file in the runs folder could not be read (truncated or corrupt); it was removed and is made again."""
