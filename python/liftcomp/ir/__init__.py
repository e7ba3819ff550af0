"""IR helpers shared by every stage: building scf/arith/memref IR, element types."""
