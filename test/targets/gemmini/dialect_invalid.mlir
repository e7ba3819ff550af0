// RUN: xdsl-opt --split-input-file --verify-diagnostics %s 2>&1 | FileCheck %s
// One verifier error per hardware rule (constant operands; the simulator checks computed ones).

// ---- rows and cols: rows <= DIM; cols within max_block_len blocks (int8 rows) or
// ---- max_block_len_acc blocks (int32 rows).

func.func @rows(%A: memref<64x64xi8>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c17 = arith.constant 17 : index
  // CHECK: 'gemmini.mvin': rows = 17 is outside [1, 16] (DIM)
  gemmini.mvin %A[%c0] to %c0 rows %c17 cols %c16 {space = "spad"} : memref<64x64xi8>
  return
}

// -----

func.func @cols(%A: memref<64x128xi8>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c80 = arith.constant 80 : index
  // CHECK: 'gemmini.mvin': cols = 80 is outside [1, 64] (max_block_len 4 blocks of DIM)
  gemmini.mvin %A[%c0] to %c0 rows %c16 cols %c80 {space = "spad"} : memref<64x128xi8>
  return
}

// -----

func.func @acc_mvin_cols(%D: memref<64x64xi32>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  // CHECK: 'gemmini.mvin': cols = 32 is outside [1, 16] (max_block_len_acc 1 block(s) of DIM into the accumulator)
  gemmini.mvin %D[%c0] to %c0 rows %c16 cols %c32 {space = "acc", id = 2 : i64} : memref<64x64xi32>
  return
}

// -----

func.func @full_mvout_cols(%C: memref<64x64xi32>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  // CHECK: 'gemmini.mvout': cols = 32 is outside [1, 16] (full rows: max_block_len_acc 1 block(s) of DIM)
  gemmini.mvout %c0 to %C[%c0] rows %c16 cols %c32 {space = "acc", full} : memref<64x64xi32>
  return
}

// -----

func.func @int8_mvout_cols(%C: memref<64x128xi8>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c80 = arith.constant 80 : index
  // CHECK: 'gemmini.mvout': cols = 80 is outside [1, 64] (max_block_len 4 blocks of DIM)
  gemmini.mvout %c0 to %C[%c0] rows %c16 cols %c80 {space = "acc"} : memref<64x128xi8>
  return
}

// -----

func.func @preload_rows() {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c17 = arith.constant 17 : index
  // CHECK: 'gemmini.preload': c_rows = 17 is outside [1, 16] (DIM)
  "gemmini.preload"(%c0, %c0, %c16, %c16, %c17, %c16) <{c_space = "acc", operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1>}> : (index, index, index, index, index, index) -> ()
  return
}

// -----

func.func @compute_cols() {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c17 = arith.constant 17 : index
  // CHECK: 'gemmini.compute_preloaded': a_cols = 17 is outside [1, 16] (DIM)
  "gemmini.compute_preloaded"(%c0, %c16, %c17, %c16, %c16) <{operandSegmentSizes = array<i32: 1, 0, 1, 1, 1, 1>}> : (index, index, index, index, index) -> ()
  return
}

// -----

// ---- local addresses: plain row numbers inside the memory; GARBAGE_ADDR only as an absent
// ---- optional operand; no flag bits (the IR says them with properties).

func.func @spad_range(%A: memref<64x64xi8>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c16370 = arith.constant 16370 : index
  // A 4-block mvin ends 3*16 + 16 rows after its address.
  // CHECK: 'gemmini.mvin': address spad rows [16370, 16434) exceed the spad (16384 rows)
  gemmini.mvin %A[%c0] to %c16370 rows %c16 cols %c64 {space = "spad"} : memref<64x64xi8>
  return
}

// -----

func.func @acc_range(%C: memref<64x64xi32>) {
  %c16 = arith.constant 16 : index
  %c0 = arith.constant 0 : index
  %c1020 = arith.constant 1020 : index
  // CHECK: 'gemmini.mvout': address acc rows [1020, 1036) exceed the acc (1024 rows)
  gemmini.mvout %c1020 to %C[%c0] rows %c16 cols %c16 {space = "acc", full} : memref<64x64xi32>
  return
}

// -----

func.func @garbage_dma(%A: memref<64x64xi8>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %garbage = arith.constant 4294967295 : index
  // CHECK: 'gemmini.mvin': address 0xffffffff is GARBAGE_ADDR: this operand cannot be GARBAGE
  gemmini.mvin %A[%c0] to %garbage rows %c16 cols %c16 {space = "spad"} : memref<64x64xi8>
  return
}

// -----

func.func @garbage_operand() {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %garbage = arith.constant 4294967295 : index
  // CHECK: 'gemmini.preload': C address 0xffffffff is GARBAGE_ADDR: leave the optional address out instead
  "gemmini.preload"(%c0, %garbage, %c16, %c16, %c16, %c16) <{c_space = "acc", operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1>}> : (index, index, index, index, index, index) -> ()
  return
}

// -----

func.func @flag_bits(%C: memref<64x64xi8>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %acc_bit = arith.constant 2147483648 : index
  // CHECK: 'gemmini.mvout': address 0x80000000 has Gemmini's flag bits 29-31 set (accumulator, accumulate, full): give the row number and say the flags with properties (space, accumulate, full)
  gemmini.mvout %acc_bit to %C[%c0] rows %c16 cols %c16 {space = "acc"} : memref<64x64xi8>
  return
}

// -----

func.func @preload_b_range() {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c16380 = arith.constant 16380 : index
  // CHECK: 'gemmini.preload': B address spad rows [16380, 16396) exceed the spad (16384 rows)
  "gemmini.preload"(%c16380, %c0, %c16, %c16, %c16, %c16) <{c_space = "acc", operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1>}> : (index, index, index, index, index, index) -> ()
  return
}

// -----

func.func @compute_a_range() {
  %c16 = arith.constant 16 : index
  %c16384 = arith.constant 16384 : index
  // CHECK: 'gemmini.compute_accumulated': A address spad rows [16384, 16400) exceed the spad (16384 rows)
  "gemmini.compute_accumulated"(%c16384, %c16, %c16, %c16, %c16) <{operandSegmentSizes = array<i32: 1, 0, 1, 1, 1, 1>}> : (index, index, index, index, index) -> ()
  return
}

// -----

// ---- spaces and element types.

func.func @spad_needs_i8(%C: memref<64x64xi32>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  // CHECK: 'gemmini.mvin': spad transfers need a memref of i8, got i32
  gemmini.mvin %C[%c0] to %c0 rows %c16 cols %c16 {space = "spad"} : memref<64x64xi32>
  return
}

// -----

func.func @accumulate_into_spad(%A: memref<64x64xi8>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  // CHECK: 'gemmini.mvin': accumulate needs an accumulator address
  gemmini.mvin %A[%c0] to %c0 rows %c16 cols %c16 {space = "spad", accumulate} : memref<64x64xi8>
  return
}

// -----

func.func @full_from_spad(%C: memref<64x64xi32>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  // CHECK: 'gemmini.mvout': full (int32) reads need an accumulator address
  gemmini.mvout %c0 to %C[%c0] rows %c16 cols %c16 {space = "spad", full} : memref<64x64xi32>
  return
}

// -----

func.func @c_accumulate_into_spad() {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  // CHECK: 'gemmini.preload': c_accumulate needs an accumulator address
  "gemmini.preload"(%c0, %c16, %c16, %c16, %c16) <{c_space = "spad", c_accumulate, operandSegmentSizes = array<i32: 0, 1, 1, 1, 1, 1>}> : (index, index, index, index, index) -> ()
  return
}

// -----

// ---- dataflow and transposition.

func.func @transpose() {
  // CHECK: 'gemmini.config_ex': WS dataflow cannot transpose both A and B
  gemmini.config_ex {dataflow = "WS", a_transpose, b_transpose}
  return
}

// -----

func.func @os_b_alone() {
  // CHECK: 'gemmini.config_ex': OS dataflow cannot transpose B alone
  gemmini.config_ex {dataflow = "OS", b_transpose}
  return
}

// -----

func.func @shift() {
  // CHECK: 'gemmini.config_ex': sys_shift = 32 is outside [0, 31]
  gemmini.config_ex {dataflow = "OS", sys_shift = 32 : i64}
  return
}

// -----

func.func @ld_id() {
  %c16 = arith.constant 16 : index
  // CHECK: 'gemmini.config_ld': id must be 0, 1 or 2, got 3
  gemmini.config_ld %c16 {id = 3 : i64}
  return
}

// -----

func.func @st_two_scales(%s: f32) {
  %c16 = arith.constant 16 : index
  // CHECK: 'gemmini.config_st': give the scale as a property or as an operand, not both
  gemmini.config_st %c16 scale %s {scale = 0.5 : f32}
  return
}

// -----

// ---- loop_ws: sizes, half of each memory, WS without transposes.

func.func @loop_pad(%A: memref<64x64xi8>, %B: memref<64x64xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  // CHECK: 'gemmini.loop_ws': pad_k = 16 is outside [0, 15] (fewer than DIM elements missing from the last block)
  "gemmini.loop_ws"(%c1, %c1, %c1, %c0, %c0, %c16, %A, %c0, %c64, %B, %c0, %c64) <{activation = "none", ex_accumulate, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0>}> : (index, index, index, index, index, index, memref<64x64xi8>, index, index, memref<64x64xi8>, index, index) -> ()
  return
}

// -----

func.func @loop_zero(%A: memref<64x64xi8>, %B: memref<64x64xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  // CHECK: 'gemmini.loop_ws': j_blocks = 0 must be >= 1
  "gemmini.loop_ws"(%c1, %c0, %c1, %c0, %c0, %c0, %A, %c0, %c64, %B, %c0, %c64) <{activation = "none", ex_accumulate, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0>}> : (index, index, index, index, index, index, memref<64x64xi8>, index, index, memref<64x64xi8>, index, index) -> ()
  return
}

// -----

func.func @loop_spad_half(%A: memref<64x64xi8>, %B: memref<64x64xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c257 = arith.constant 257 : index
  // CHECK: 'gemmini.loop_ws': A and B tiles (1x257 + 257x1 blocks = 8224 rows) exceed half the scratchpad (8192 rows)
  "gemmini.loop_ws"(%c1, %c1, %c257, %c0, %c0, %c0, %A, %c0, %c64, %B, %c0, %c64) <{activation = "none", ex_accumulate, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0>}> : (index, index, index, index, index, index, memref<64x64xi8>, index, index, memref<64x64xi8>, index, index) -> ()
  return
}

// -----

func.func @loop_acc_half(%A: memref<64x64xi8>, %B: memref<64x64xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  %c64 = arith.constant 64 : index
  // CHECK: 'gemmini.loop_ws': C tile (6x6 blocks = 576 rows) exceeds half the accumulator (512 rows)
  "gemmini.loop_ws"(%c6, %c6, %c1, %c0, %c0, %c0, %A, %c0, %c64, %B, %c0, %c64) <{activation = "none", ex_accumulate, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0>}> : (index, index, index, index, index, index, memref<64x64xi8>, index, index, memref<64x64xi8>, index, index) -> ()
  return
}

// -----

// A dynamic size counts as one block: a constant i_blocks of 40 already needs 40 x 1 C blocks.
func.func @loop_dynamic_size(%A: memref<64x64xi8>, %B: memref<64x64xi8>, %j: index, %k: index) {
  %c0 = arith.constant 0 : index
  %c40 = arith.constant 40 : index
  %c64 = arith.constant 64 : index
  // CHECK: 'gemmini.loop_ws': C tile (40x1 blocks = at least 640 rows) exceeds half the accumulator (512 rows)
  "gemmini.loop_ws"(%c40, %j, %k, %c0, %c0, %c0, %A, %c0, %c64, %B, %c0, %c64) <{activation = "none", ex_accumulate, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0>}> : (index, index, index, index, index, index, memref<64x64xi8>, index, index, memref<64x64xi8>, index, index) -> ()
  return
}

// -----

func.func @loop_after_os(%A: memref<64x64xi8>, %B: memref<64x64xi8>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gemmini.config_ex {dataflow = "OS"}
  scf.for %i = %c0 to %n step %c1 {
    // CHECK: 'gemmini.loop_ws': the FSM issues weight-stationary sequences, but the config_ex before it sets dataflow OS
    "gemmini.loop_ws"(%c1, %c1, %c1, %c0, %c0, %c0, %A, %c0, %c64, %B, %c0, %c64) <{activation = "none", ex_accumulate, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0>}> : (index, index, index, index, index, index, memref<64x64xi8>, index, index, memref<64x64xi8>, index, index) -> ()
  }
  return
}

// -----

func.func @loop_after_transpose(%A: memref<64x64xi8>, %B: memref<64x64xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gemmini.config_ex {dataflow = "WS", b_transpose}
  // CHECK: 'gemmini.loop_ws': the config_ex before it transposes an operand; loop_ws is modelled without transposes
  "gemmini.loop_ws"(%c1, %c1, %c1, %c0, %c0, %c0, %A, %c0, %c64, %B, %c0, %c64) <{activation = "none", ex_accumulate, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0>}> : (index, index, index, index, index, index, memref<64x64xi8>, index, index, memref<64x64xi8>, index, index) -> ()
  return
}

// -----

func.func @loop_types(%A: memref<64x64xi32>, %B: memref<64x64xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  // CHECK: 'gemmini.loop_ws': a must be a memref of i8, got i32
  "gemmini.loop_ws"(%c1, %c1, %c1, %c0, %c0, %c0, %A, %c0, %c64, %B, %c0, %c64) <{activation = "none", ex_accumulate, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0>}> : (index, index, index, index, index, index, memref<64x64xi32>, index, index, memref<64x64xi8>, index, index) -> ()
  return
}

// -----

func.func @loop_act_full(%A: memref<64x64xi8>, %B: memref<64x64xi8>, %C: memref<64x64xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  // CHECK: 'gemmini.loop_ws': an activation needs int8 output (not full_c)
  "gemmini.loop_ws"(%c1, %c1, %c1, %c0, %c0, %c0, %A, %c0, %c64, %B, %c0, %c64, %C, %c0, %c64) <{activation = "relu", full_c, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1>}> : (index, index, index, index, index, index, memref<64x64xi8>, index, index, memref<64x64xi8>, index, index, memref<64x64xi32>, index, index) -> ()
  return
}

// -----

// ---- the limits come from the hardware the module was lowered for (gemmini.config).

builtin.module attributes {gemmini.config = {dim = 8 : i64}} {
  func.func @small_array(%A: memref<64x64xi8>) {
    %c0 = arith.constant 0 : index
    %c16 = arith.constant 16 : index
    // CHECK: 'gemmini.mvin': rows = 16 is outside [1, 8] (DIM)
    gemmini.mvin %A[%c0] to %c0 rows %c16 cols %c16 {space = "spad"} : memref<64x64xi8>
    return
  }
}

// -----

builtin.module attributes {gemmini.config = {max_block_len = 2 : i64}} {
  func.func @short_blocks(%C: memref<64x64xi8>) {
    %c0 = arith.constant 0 : index
    %c16 = arith.constant 16 : index
    %c48 = arith.constant 48 : index
    // CHECK: 'gemmini.mvout': cols = 48 is outside [1, 32] (max_block_len 2 blocks of DIM)
    gemmini.mvout %c0 to %C[%c0] rows %c16 cols %c48 {space = "acc"} : memref<64x64xi8>
    return
  }
}

// -----

builtin.module attributes {gemmini.config = {banks = 8 : i64}} {
  func.func @unknown_field(%A: memref<64x64xi8>) {
    %c0 = arith.constant 0 : index
    %c16 = arith.constant 16 : index
    // CHECK: gemmini.config: unknown field 'banks' (known: dim, sp_banks, sp_bank_rows, acc_banks, acc_bank_rows, max_block_len, max_block_len_acc)
    gemmini.mvin %A[%c0] to %c0 rows %c16 cols %c16 {space = "spad"} : memref<64x64xi8>
    return
  }
}
