// RUN: mlir-opt-22 --mlir-print-op-generic %s | xdsl-opt -p liftcomp-lower-gemmini,liftcomp-gemmini-cleanup | FileCheck %s
// RUN: mlir-opt-22 --mlir-print-op-generic %s | xdsl-opt -p liftcomp-lower-gemmini | FileCheck %s --check-prefix=RAW

// A resadd then a matmul in one function: after lowering, the matmul's int32 config_st repeats
// the resadd's (same stride value, 36); the cleanup drops it and keeps the matmul's config_ld
// for int8 A and B (the resadd's were for int32) and both fences (each follows Gemmini work).
// CHECK-LABEL: func.func @resadd_matmul
// CHECK:         gemmini.config_ld %{{.*}} {elem_bits = 32 : i64}
// CHECK-NEXT:    gemmini.config_ld %{{.*}} {id = 1 : i64, elem_bits = 32 : i64}
// CHECK-NEXT:    gemmini.config_st %{{.*}} {elem_bits = 32 : i64}
// CHECK:         gemmini.fence
// CHECK-NEXT:    gemmini.config_ex
// CHECK-NEXT:    gemmini.config_ld %{{[0-9]+$}}
// CHECK-NEXT:    gemmini.config_ld %{{.*}} {id = 1 : i64}
// CHECK-NOT:     gemmini.config
// CHECK:         gemmini.fence

// RAW-LABEL: func.func @resadd_matmul
// RAW:         gemmini.fence
// RAW-NEXT:    gemmini.config_ex
// RAW-NEXT:    gemmini.config_st %{{.*}} {elem_bits = 32 : i64}
func.func @resadd_matmul(%X: memref<40x36xi32>, %Y: memref<40x36xi32>, %R: memref<40x36xi32>,
                          %A: memref<40x50xi8>, %B: memref<50x36xi8>, %C: memref<40x36xi32>) {
  %x = bufferization.to_tensor %X restrict : memref<40x36xi32> to tensor<40x36xi32>
  %y = bufferization.to_tensor %Y restrict : memref<40x36xi32> to tensor<40x36xi32>
  %e0 = tensor.empty() : tensor<40x36xi32>
  %s = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%x, %y : tensor<40x36xi32>, tensor<40x36xi32>) outs(%e0 : tensor<40x36xi32>) {
  ^bb0(%p: i32, %q: i32, %o: i32):
    %u = arith.addi %p, %q : i32
    linalg.yield %u : i32
  } -> tensor<40x36xi32>
  bufferization.materialize_in_destination %s in restrict writable %R : (tensor<40x36xi32>, memref<40x36xi32>) -> ()
  %a = bufferization.to_tensor %A restrict : memref<40x50xi8> to tensor<40x50xi8>
  %b = bufferization.to_tensor %B restrict : memref<50x36xi8> to tensor<50x36xi8>
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<40x36xi32>
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<40x36xi32>) -> tensor<40x36xi32>
  %r = linalg.matmul ins(%a, %b : tensor<40x50xi8>, tensor<50x36xi8>) outs(%f : tensor<40x36xi32>) -> tensor<40x36xi32>
  bufferization.materialize_in_destination %r in restrict writable %C : (tensor<40x36xi32>, memref<40x36xi32>) -> ()
  return
}

