// RUN: mlir-opt-22 --mlir-print-op-generic %s | xdsl-opt -p liftcomp-lower-gemmini | FileCheck %s
// RUN: mlir-opt-22 --mlir-print-op-generic %s | xdsl-opt -p 'liftcomp-lower-gemmini{form="loop_ws"}' | FileCheck %s --check-prefix=FSM

#map = affine_map<(d0, d1) -> (d0, d1)>

// A matmul followed by Gemmini's requantisation (scale in f32, round half to even, ReLU, int8
// saturation) runs entirely on Gemmini: the run-time scale goes to config_st, the mvouts write int8.
// CHECK-LABEL: func.func @requant_relu(
// CHECK-SAME: %[[C:[a-z0-9]+]]: memref<40x24xi8>, %[[S:[a-z0-9]+]]: f32)
// CHECK-NOT: linalg.
// CHECK: gemmini.config_st %{{.*}} scale %[[S]] {activation = "relu"}
// CHECK: gemmini.mvout %{{.*}} to %[[C]][%{{.*}}] rows %{{.*}} cols %{{.*}} {space = "acc"} : memref<40x24xi8>
// CHECK-NOT: arith.sitofp
// CHECK: gemmini.fence
// FSM-LABEL: func.func @requant_relu(
// FSM-SAME: %[[S:[a-z0-9]+]]: f32)
// FSM: gemmini.config_st %{{.*}} scale %[[S]] {activation = "relu"}
// FSM: "gemmini.loop_ws"
// FSM-SAME: <{activation = "relu", operandSegmentSizes
func.func @requant_relu(%A: memref<40x70xi8>, %B: memref<70x24xi8>, %C: memref<40x24xi8>, %s: f32) {
  %a = bufferization.to_tensor %A restrict : memref<40x70xi8> to tensor<40x70xi8>
  %b = bufferization.to_tensor %B restrict : memref<70x24xi8> to tensor<70x24xi8>
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<40x24xi32>
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<40x24xi32>) -> tensor<40x24xi32>
  %mm = linalg.matmul ins(%a, %b : tensor<40x70xi8>, tensor<70x24xi8>) outs(%f : tensor<40x24xi32>) -> tensor<40x24xi32>
  %zero = arith.constant 0.0 : f32
  %hi = arith.constant 127.0 : f32
  %e8 = tensor.empty() : tensor<40x24xi8>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%mm : tensor<40x24xi32>) outs(%e8 : tensor<40x24xi8>) {
  ^bb0(%in: i32, %out: i8):
    %x = arith.sitofp %in : i32 to f32
    %y = arith.mulf %x, %s : f32
    %t = math.roundeven %y : f32
    %c1 = arith.maximumf %t, %zero : f32
    %c2 = arith.minimumf %c1, %hi : f32
    %q = arith.fptosi %c2 : f32 to i8
    linalg.yield %q : i8
  } -> tensor<40x24xi8>
  bufferization.materialize_in_destination %r in restrict writable %C : (tensor<40x24xi8>, memref<40x24xi8>) -> ()
  return
}

// Halves rounded away from zero (math.round) are not Gemmini's rounding: the matmul runs on
// Gemmini into an int32 temporary (full mvouts), the epilogue in host loops.
// CHECK-LABEL: func.func @requant_round_away
// CHECK: %[[TMP:.*]] = memref.alloc() : memref<16x16xi32>
// CHECK: gemmini.mvout %{{.*}} to %[[TMP]][%{{.*}}] rows %{{.*}} cols %{{.*}} {space = "acc", full}
// CHECK: gemmini.fence
// CHECK: scf.for
// CHECK: memref.load %[[TMP]]
// CHECK: math.round
// CHECK: memref.store %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}] : memref<16x16xi8>
func.func @requant_round_away(%A: memref<16x32xi8>, %B: memref<32x16xi8>, %C: memref<16x16xi8>) {
  %a = bufferization.to_tensor %A restrict : memref<16x32xi8> to tensor<16x32xi8>
  %b = bufferization.to_tensor %B restrict : memref<32x16xi8> to tensor<32x16xi8>
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<16x16xi32>
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<16x16xi32>) -> tensor<16x16xi32>
  %mm = linalg.matmul ins(%a, %b : tensor<16x32xi8>, tensor<32x16xi8>) outs(%f : tensor<16x16xi32>) -> tensor<16x16xi32>
  %s = arith.constant 0.001 : f32
  %lo = arith.constant -128.0 : f32
  %hi = arith.constant 127.0 : f32
  %e8 = tensor.empty() : tensor<16x16xi8>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%mm : tensor<16x16xi32>) outs(%e8 : tensor<16x16xi8>) {
  ^bb0(%in: i32, %out: i8):
    %x = arith.sitofp %in : i32 to f32
    %y = arith.mulf %x, %s : f32
    %t = math.round %y : f32
    %c1 = arith.maximumf %t, %lo : f32
    %c2 = arith.minimumf %c1, %hi : f32
    %q = arith.fptosi %c2 : f32 to i8
    linalg.yield %q : i8
  } -> tensor<16x16xi8>
  bufferization.materialize_in_destination %r in restrict writable %C : (tensor<16x16xi8>, memref<16x16xi8>) -> ()
  return
}

// B stored N x K (a linear layer's weights): the array's B-transpose flag, B^T blocks moved in
// along K; the loop_ws form falls back to explicit instructions (loop_ws transposes not modelled).
// CHECK-LABEL: func.func @matmul_bt
// CHECK: gemmini.config_ex {b_transpose}
// CHECK: gemmini.mvin %{{.*}} : memref<18x33xi8>
// CHECK: gemmini.mvin %{{.*}} : memref<20x33xi8>
// CHECK: "gemmini.preload"
// FSM-LABEL: func.func @matmul_bt
// FSM: gemmini.config_ex {b_transpose}
// FSM-NOT: "gemmini.loop_ws"
// FSM: gemmini.fence
func.func @matmul_bt(%A: memref<20x33xi8>, %B: memref<18x33xi8>, %C: memref<20x18xi32>) {
  %a = bufferization.to_tensor %A restrict : memref<20x33xi8> to tensor<20x33xi8>
  %b = bufferization.to_tensor %B restrict : memref<18x33xi8> to tensor<18x33xi8>
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<20x18xi32>
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<20x18xi32>) -> tensor<20x18xi32>
  %eb = tensor.empty() : tensor<33x18xi8>
  %bt = linalg.transpose ins(%b : tensor<18x33xi8>) outs(%eb : tensor<33x18xi8>) permutation = [1, 0]
  %r = linalg.matmul ins(%a, %bt : tensor<20x33xi8>, tensor<33x18xi8>) outs(%f : tensor<20x18xi32>) -> tensor<20x18xi32>
  bufferization.materialize_in_destination %r in restrict writable %C : (tensor<20x18xi32>, memref<20x18xi32>) -> ()
  return
}
