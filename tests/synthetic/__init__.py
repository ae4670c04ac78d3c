"""Tests of the synthetic package."""
