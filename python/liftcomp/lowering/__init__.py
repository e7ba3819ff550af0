"""Target-independent pieces of lowering tensor-level IR: op recognition (`match`), views of
tensors as buffers (`views`), and the host fallback that turns linalg/tensor ops a target does
not take into scf loops (`host_fallback`). Targets (targets/<name>/) build on these; picking a
target goes through the registry in `liftcomp.targets`."""
