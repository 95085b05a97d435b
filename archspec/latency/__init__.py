"""Latency from the spec: device profiles (fitted by ``archspec calibrate``) and prediction.

Torch-free: a profile is data (JSON) and prediction is arithmetic over the traced op graph.
"""

from archspec.latency.kernels import (
    FEATURES,
    FusionRule,
    Kernel,
    KernelTable,
    kernel_class,
    kernel_table,
    kernels,
)
from archspec.latency.model import ClassModel, DeviceProfile, NetworkCorrection, Noise
from archspec.latency.predict import Prediction, predict

__all__ = ["FEATURES", "ClassModel", "DeviceProfile", "FusionRule", "Kernel", "KernelTable",
           "NetworkCorrection", "Noise", "Prediction", "kernel_class", "kernel_table", "kernels",
           "predict"]
