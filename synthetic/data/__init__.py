"""Packaged reference data (JSON): Moroccan names, provinces and address pieces."""
