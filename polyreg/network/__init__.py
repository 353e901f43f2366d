"""The network IR, its exact meaning, and rewrites of networks (relevance, specialization)."""
