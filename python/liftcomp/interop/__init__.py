"""Talking to upstream MLIR 22 tools through the generic textual form."""
