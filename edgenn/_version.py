"""The one place edgenn's version is defined (pyproject reads it, so packaging and runtime cannot disagree)."""

__version__ = "0.1.0"
