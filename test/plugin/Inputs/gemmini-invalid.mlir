// Invalid gemmini IR that the generated IRDL rejects (see ../gemmini-irdl.mlir).
// An i32 where gemmini.config_ld wants an index.
func.func @bad_operand(%s: i32) {
  "gemmini.config_ld"(%s) : (i32) -> ()
  return
}

// -----

// gemmini.mvin without its required `space`.
func.func @missing_space(%m: memref<16x16xi8>, %i: index) {
  "gemmini.mvin"(%m, %i, %i, %i, %i) : (memref<16x16xi8>, index, index, index, index) -> ()
  return
}

// -----

// `space` must be a string.
func.func @space_not_a_string(%m: memref<16x16xi8>, %i: index) {
  "gemmini.mvin"(%m, %i, %i, %i, %i) {space = 1 : i64} : (memref<16x16xi8>, index, index, index, index) -> ()
  return
}
