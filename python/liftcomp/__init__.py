"""liftcomp: verified lifting of loop nests to tensor ops, lowered to tensor accelerators."""

__version__ = "0.1.0"
