"""Host code shared by every target: host IR (func / scf / arith / memref / math) to C (`to_c`),
with a hook for the target's own ops."""
