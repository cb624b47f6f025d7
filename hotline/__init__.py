"""hotline: call handling for peer-support hotlines."""

__version__ = "0.1.0"
