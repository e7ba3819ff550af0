// Autocomp's conv shape 56x56x64: int8 NHWC 3x3 convolution, stride 1, padding 1 written as guarded loads
// (scf.if yields the input element or 0), batch 4, 64 -> 64 channels, HWCF filter, int32 accumulation
// over (kh, kw, c), requantised to int8 like matmul_requant_i8: clamp(roundeven(f32(acc) * 0.001), -128, 127).
func.func @conv_56x56x64(%in: memref<4x56x56x64xi8>, %w: memref<3x3x64x64xi8>, %out: memref<4x56x56x64xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %cs = arith.constant 1 : index
  %cpad = arith.constant 1 : index
  %nb = arith.constant 4 : index
  %h = arith.constant 56 : index
  %wd = arith.constant 56 : index
  %oh_n = arith.constant 56 : index
  %ow_n = arith.constant 56 : index
  %cin = arith.constant 64 : index
  %cout = arith.constant 64 : index
  %zero8 = arith.constant 0 : i8
  %zero = arith.constant 0 : i32
  %scale = arith.constant 1.000000e-03 : f32
  %lo = arith.constant -1.280000e+02 : f32
  %hi = arith.constant 1.270000e+02 : f32
  scf.for %n = %c0 to %nb step %c1 {
    scf.for %oh = %c0 to %oh_n step %c1 {
      scf.for %ow = %c0 to %ow_n step %c1 {
        scf.for %f = %c0 to %cout step %c1 {
          %s0 = scf.for %kh = %c0 to %c3 step %c1 iter_args(%a0 = %zero) -> (i32) {
            %ohs = arith.muli %oh, %cs : index
            %ihp = arith.addi %ohs, %kh : index
            %ih = arith.subi %ihp, %cpad : index
            %s1 = scf.for %kw = %c0 to %c3 step %c1 iter_args(%a1 = %a0) -> (i32) {
              %ows = arith.muli %ow, %cs : index
              %iwp = arith.addi %ows, %kw : index
              %iw = arith.subi %iwp, %cpad : index
              %h0 = arith.cmpi sge, %ih, %c0 : index
              %h1 = arith.cmpi slt, %ih, %h : index
              %w0 = arith.cmpi sge, %iw, %c0 : index
              %w1 = arith.cmpi slt, %iw, %wd : index
              %hin = arith.andi %h0, %h1 : i1
              %win = arith.andi %w0, %w1 : i1
              %inb = arith.andi %hin, %win : i1
              %s2 = scf.for %c = %c0 to %cin step %c1 iter_args(%a2 = %a1) -> (i32) {
                %xv = scf.if %inb -> (i8) {
                  %l = memref.load %in[%n, %ih, %iw, %c] : memref<4x56x56x64xi8>
                  scf.yield %l : i8
                } else {
                  scf.yield %zero8 : i8
                }
                %k = memref.load %w[%kh, %kw, %c, %f] : memref<3x3x64x64xi8>
                %xw = arith.extsi %xv : i8 to i32
                %kw32 = arith.extsi %k : i8 to i32
                %p = arith.muli %xw, %kw32 : i32
                %s = arith.addi %a2, %p : i32
                scf.yield %s : i32
              }
              scf.yield %s2 : i32
            }
            scf.yield %s1 : i32
          }
          %fl = arith.sitofp %s0 : i32 to f32
          %y = arith.mulf %fl, %scale : f32
          %r = math.roundeven %y : f32
          %q0 = arith.maximumf %r, %lo : f32
          %q1 = arith.minimumf %q0, %hi : f32
          %q = arith.fptosi %q1 : f32 to i8
          memref.store %q, %out[%n, %oh, %ow, %f] : memref<4x56x56x64xi8>
        }
      }
    }
  }
  return
}
