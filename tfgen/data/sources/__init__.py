"""Readers of raw data (TFDS, IDX, npz, image folders, toy 2-D sets) behind the registry."""
