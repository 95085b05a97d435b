"""Calibration: time a backend's kernels and networks on this machine and fit a device profile.

Imports torch, numpy or onnxruntime lazily, inside the functions that time; the profile it writes
is read by :mod:`archspec.latency` with none of them.
"""
