// f32 NCHW x FCHW 3x3 convolution, stride 1, padding 1 written as guarded loads (scf.if yields the
// input element or 0.0): 1x3x6x6 -> 1x2x6x6, the sum over (c, kh, kw) in one accumulator from 0.0,
// in linalg.conv_2d_nchw_fchw's reduction order.
func.func @conv_nchw_pad1_f32(%x: memref<1x3x6x6xf32>, %w: memref<2x3x3x3xf32>, %out: memref<1x2x6x6xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c6 = arith.constant 6 : index
  %zero = arith.constant 0.0 : f32
  scf.for %n = %c0 to %c1 step %c1 {
    scf.for %f = %c0 to %c2 step %c1 {
      scf.for %oh = %c0 to %c6 step %c1 {
        scf.for %ow = %c0 to %c6 step %c1 {
          %s0 = scf.for %c = %c0 to %c3 step %c1 iter_args(%a0 = %zero) -> (f32) {
            %s1 = scf.for %kh = %c0 to %c3 step %c1 iter_args(%a1 = %a0) -> (f32) {
              %ihp = arith.addi %oh, %kh : index
              %ih = arith.subi %ihp, %c1 : index
              %s2 = scf.for %kw = %c0 to %c3 step %c1 iter_args(%a2 = %a1) -> (f32) {
                %iwp = arith.addi %ow, %kw : index
                %iw = arith.subi %iwp, %c1 : index
                %h0 = arith.cmpi sge, %ih, %c0 : index
                %h1 = arith.cmpi slt, %ih, %c6 : index
                %w0 = arith.cmpi sge, %iw, %c0 : index
                %w1 = arith.cmpi slt, %iw, %c6 : index
                %hin = arith.andi %h0, %h1 : i1
                %win = arith.andi %w0, %w1 : i1
                %inb = arith.andi %hin, %win : i1
                %xv = scf.if %inb -> (f32) {
                  %l = memref.load %x[%n, %c, %ih, %iw] : memref<1x3x6x6xf32>
                  scf.yield %l : f32
                } else {
                  scf.yield %zero : f32
                }
                %k = memref.load %w[%f, %c, %kh, %kw] : memref<2x3x3x3xf32>
                %p = arith.mulf %xv, %k : f32
                %s = arith.addf %a2, %p : f32
                scf.yield %s : f32
              }
              scf.yield %s2 : f32
            }
            scf.yield %s1 : f32
          }
          memref.store %s0, %out[%n, %f, %oh, %ow] : memref<1x2x6x6xf32>
        }
      }
    }
  }
  return
}
