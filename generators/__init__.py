"""Transformer generation of realistic OpenQASM benchmark circuits (``qneuro.generators``).

Installed from the top-level ``generators/`` folder under the import name
``qneuro.generators``.
"""
