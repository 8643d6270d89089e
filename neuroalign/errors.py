"""Exception types: each names the file or input and what is wrong with it."""

from __future__ import annotations

__all__ = ["DataError", "DownloadError", "NeuroalignError"]


class NeuroalignError(Exception):
    """Base class of the errors neuroalign raises on bad input."""


class DataError(NeuroalignError, ValueError):
    """A data file or array is malformed (wrong shape, NaNs, corrupt image, bad archive...)."""


class DownloadError(NeuroalignError, OSError):
    """A file could not be fetched or failed its checksum."""
