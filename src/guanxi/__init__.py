"""Guanxi: customer relationship, customer care and loyalty for online shops."""

__version__ = "0.1.0"
