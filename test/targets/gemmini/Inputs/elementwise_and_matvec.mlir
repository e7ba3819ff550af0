func.func @add_sat(%A: memref<37x21xi8>, %B: memref<37x21xi8>, %C: memref<37x21xi8>) {
  %a = bufferization.to_tensor %A restrict : memref<37x21xi8> to tensor<37x21xi8>
  %b = bufferization.to_tensor %B restrict : memref<37x21xi8> to tensor<37x21xi8>
  %e = tensor.empty() : tensor<37x21xi8>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%a, %b : tensor<37x21xi8>, tensor<37x21xi8>) outs(%e : tensor<37x21xi8>) {
  ^bb0(%x: i8, %y: i8, %o: i8):
    %xw = arith.extsi %x : i8 to i32
    %yw = arith.extsi %y : i8 to i32
    %s = arith.addi %xw, %yw : i32
    %lo = arith.constant -128 : i32
    %hi = arith.constant 127 : i32
    %c1 = arith.maxsi %s, %lo : i32
    %c2 = arith.minsi %c1, %hi : i32
    %t = arith.trunci %c2 : i32 to i8
    linalg.yield %t : i8
  } -> tensor<37x21xi8>
  bufferization.materialize_in_destination %r in restrict writable %C : (tensor<37x21xi8>, memref<37x21xi8>) -> ()
  return
}
func.func @add_wrap(%A: memref<100xi8>, %B: memref<100xi8>, %C: memref<100xi8>) {
  %a = bufferization.to_tensor %A restrict : memref<100xi8> to tensor<100xi8>
  %b = bufferization.to_tensor %B restrict : memref<100xi8> to tensor<100xi8>
  %e = tensor.empty() : tensor<100xi8>
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%a, %b : tensor<100xi8>, tensor<100xi8>) outs(%e : tensor<100xi8>) {
  ^bb0(%x: i8, %y: i8, %o: i8):
    %s = arith.addi %x, %y : i8
    linalg.yield %s : i8
  } -> tensor<100xi8>
  bufferization.materialize_in_destination %r in restrict writable %C : (tensor<100xi8>, memref<100xi8>) -> ()
  return
}
func.func @add_i32(%A: memref<100xi32>, %B: memref<100xi32>, %C: memref<100xi32>) {
  %a = bufferization.to_tensor %A restrict : memref<100xi32> to tensor<100xi32>
  %b = bufferization.to_tensor %B restrict : memref<100xi32> to tensor<100xi32>
  %e = tensor.empty() : tensor<100xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%a, %b : tensor<100xi32>, tensor<100xi32>) outs(%e : tensor<100xi32>) {
  ^bb0(%x: i32, %y: i32, %o: i32):
    %s = arith.addi %x, %y : i32
    linalg.yield %s : i32
  } -> tensor<100xi32>
  bufferization.materialize_in_destination %r in restrict writable %C : (tensor<100xi32>, memref<100xi32>) -> ()
  return
}
func.func @matvec(%A: memref<70x45xi8>, %x: memref<45xi8>, %y: memref<70xi32>) {
  %a = bufferization.to_tensor %A restrict : memref<70x45xi8> to tensor<70x45xi8>
  %b = bufferization.to_tensor %x restrict : memref<45xi8> to tensor<45xi8>
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<70xi32>
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<70xi32>) -> tensor<70xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (k)>, affine_map<(i, k) -> (i)>], iterator_types = ["parallel", "reduction"]} ins(%a, %b : tensor<70x45xi8>, tensor<45xi8>) outs(%f : tensor<70xi32>) {
  ^bb0(%p: i8, %q: i8, %acc: i32):
    %pw = arith.extsi %p : i8 to i32
    %qw = arith.extsi %q : i8 to i32
    %m = arith.muli %pw, %qw : i32
    %s = arith.addi %acc, %m : i32
    linalg.yield %s : i32
  } -> tensor<70xi32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<70xi32>, memref<70xi32>) -> ()
  return
}
