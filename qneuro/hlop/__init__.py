"""Spiking networks that learn continually with Hebbian orthogonal projection (HLOP)."""
