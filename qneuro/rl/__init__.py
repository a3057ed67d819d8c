"""Curriculum reinforcement-learning training on the architecture-search environments."""
