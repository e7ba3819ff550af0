// liftcomp-lower-gemmini on a tensor-level padded conv (tensor.pad + linalg.conv_2d_nhwc_hwcf +
// requantisation, the raising pass's form of a conv loop nest with guarded loads): one
// gemmini.loop_conv_ws per tile of tiled_conv_auto's choice, the requantisation in config_st, and
// a remark naming the tiles.
// RUN: xdsl-opt %s -p 'liftcomp-lower-gemmini{remarks=true}' 2>&1 | FileCheck %s --implicit-check-not=linalg.
// CHECK: remark: liftcomp-lower-gemmini: @conv: conv {{.*}} loop_conv_ws tiles 2x6x6x32 over kernel 3x3x16
// CHECK: gemmini.config_ex
// CHECK: gemmini.config_st %{{.*}} {activation = "relu", scale = 1.250000e-02 : f32}
// CHECK: "gemmini.loop_conv_ws"(
// CHECK-SAME: activation = "relu", no_bias
// CHECK: gemmini.fence
func.func @conv(%X: memref<2x6x6x16xi8>, %W: memref<3x3x16x32xi8>, %Y: memref<2x6x6x32xi8>) {
  %x = bufferization.to_tensor %X restrict : memref<2x6x6x16xi8> to tensor<2x6x6x16xi8>
  %w = bufferization.to_tensor %W restrict : memref<3x3x16x32xi8> to tensor<3x3x16x32xi8>
  %c0 = arith.constant 0 : i8
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
    tensor.yield %c0 : i8
  } : tensor<2x6x6x16xi8> to tensor<2x8x8x16xi8>
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<2x6x6x32xi32>
  %fl = linalg.fill ins(%z : i32) outs(%e : tensor<2x6x6x32xi32>) -> tensor<2x6x6x32xi32>
  %r = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%p, %w : tensor<2x8x8x16xi8>, tensor<3x3x16x32xi8>) outs(%fl : tensor<2x6x6x32xi32>) -> tensor<2x6x6x32xi32>
  %s = arith.constant 0.0125 : f32
  %lo = arith.constant 0.0 : f32
  %hi = arith.constant 127.0 : f32
  %e8 = tensor.empty() : tensor<2x6x6x32xi8>
  %q = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%r : tensor<2x6x6x32xi32>) outs(%e8 : tensor<2x6x6x32xi8>) {
  ^bb0(%in: i32, %out: i8):
    %xf = arith.sitofp %in : i32 to f32
    %y = arith.mulf %xf, %s : f32
    %t = math.roundeven %y : f32
    %c1 = arith.maximumf %t, %lo : f32
    %c2 = arith.minimumf %c1, %hi : f32
    %o = arith.fptosi %c2 : f32 to i8
    linalg.yield %o : i8
  } -> tensor<2x6x6x32xi8>
  bufferization.materialize_in_destination %q in restrict writable %Y : (tensor<2x6x6x32xi8>, memref<2x6x6x32xi8>) -> ()
  return
}
