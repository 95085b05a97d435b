"""Latency from the spec: device profiles (fitted by ``archspec calibrate``) and prediction.

Torch-free: a profile is data (JSON) and prediction is arithmetic over the traced op graph.
"""

from archspec.latency.kernels import FEATURES, FusionRule, Kernel, kernel_class, kernels
from archspec.latency.model import ClassModel, DeviceProfile, NetworkCorrection, Noise
from archspec.latency.predict import Prediction, predict

__all__ = ["FEATURES", "ClassModel", "DeviceProfile", "FusionRule", "Kernel", "NetworkCorrection",
           "Noise", "Prediction", "kernel_class", "kernels", "predict"]
