"""Maxout/ReLU networks compiled to hard-max transformers."""
