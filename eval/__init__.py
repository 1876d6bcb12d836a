"""Evaluation of grounded answers against a gold set."""
