"""A pure Python package shipped in the function's bundle."""
from .words import tokens, frequencies

__all__ = ["tokens", "frequencies"]
