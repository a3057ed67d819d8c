"""Gymnasium environments for curriculum RL quantum architecture search (``qneuro.envs``).

Installed from the top-level ``envs/`` folder under the import name ``qneuro.envs``.
"""
