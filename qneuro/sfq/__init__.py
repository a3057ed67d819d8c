"""Pulse-level single-flux-quantum (SFQ) cells and rate-coded networks in Brian2."""
