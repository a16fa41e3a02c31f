"""The error of a brand file, shared by the loader and the parsers of its sections."""


class BrandError(ValueError):
    """A brand file is missing, unreadable or inconsistent."""
