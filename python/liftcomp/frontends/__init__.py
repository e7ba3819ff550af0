"""Frontends: reading user programs into xDSL modules (MLIR text today)."""

from liftcomp.frontends.mlir import SourceModule, arg_names_from_source, read_mlir

__all__ = ["SourceModule", "arg_names_from_source", "read_mlir"]
