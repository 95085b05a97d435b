"""Torch modules for resolved networks: the only archspec package that imports torch.

Importing it fills :data:`MODULES` with one module class per block family (keyed like
:data:`archspec.blocks.FAMILIES`; :mod:`archspec.nn.registry` imports each family's file).
"""

from archspec.nn.build import build_module, init_weights
from archspec.nn.export import ExportError, export, load_model
from archspec.nn.layers import DropPath, LayerNorm2d, make_act, make_norm
from archspec.nn.mmb import MetaMobileBlock, set_attention_impl
from archspec.nn.network import Network
from archspec.nn.registry import MODULES, build_block
from archspec.nn.transfer import WeightTransferError, transfer_weights

__all__ = [
    "MODULES",
    "DropPath",
    "ExportError",
    "LayerNorm2d",
    "MetaMobileBlock",
    "Network",
    "WeightTransferError",
    "build_block",
    "build_module",
    "export",
    "init_weights",
    "load_model",
    "make_act",
    "make_norm",
    "set_attention_impl",
    "transfer_weights",
]
