// Kernels whose raised form once crashed upstream lowering or --jit-check (issue 10): a flat 2-D
// read with both sizes dynamic (one expand_shape group with two dynamic sizes), a batched
// matmul and a 2-D stencil (affine.apply left by expand-strided-metadata).
func.func @flat2d(%w: memref<?xf32>, %out: memref<?x?xf32>, %m: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %r = arith.muli %i, %n : index
      %k = arith.addi %r, %j : index
      %v = memref.load %w[%k] : memref<?xf32>
      %two = arith.constant 2.0 : f32
      %p = arith.mulf %v, %two : f32
      memref.store %p, %out[%i, %j] : memref<?x?xf32>
    }
  }
  return
}
func.func @bmm(%A: memref<?x?x?xf32>, %B: memref<?x?x?xf32>, %C: memref<?x?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant 0.0 : f32
  %nb = memref.dim %A, %c0 : memref<?x?x?xf32>
  %m = memref.dim %A, %c1 : memref<?x?x?xf32>
  %k = memref.dim %A, %c2 : memref<?x?x?xf32>
  %n = memref.dim %B, %c2 : memref<?x?x?xf32>
  scf.for %b = %c0 to %nb step %c1 {
    scf.for %i = %c0 to %m step %c1 {
      scf.for %j = %c0 to %n step %c1 {
        %s = scf.for %kk = %c0 to %k step %c1 iter_args(%acc = %zero) -> (f32) {
          %a = memref.load %A[%b, %i, %kk] : memref<?x?x?xf32>
          %bb = memref.load %B[%b, %kk, %j] : memref<?x?x?xf32>
          %p = arith.mulf %a, %bb : f32
          %t = arith.addf %acc, %p : f32
          scf.yield %t : f32
        }
        memref.store %s, %C[%b, %i, %j] : memref<?x?x?xf32>
      }
    }
  }
  return
}
func.func @st2d(%x: memref<?x?xf32>, %out: memref<?x?xf32>, %m: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %i1 = arith.addi %i, %c1 : index
      %j1 = arith.addi %j, %c1 : index
      %a = memref.load %x[%i, %j] : memref<?x?xf32>
      %b = memref.load %x[%i1, %j] : memref<?x?xf32>
      %c = memref.load %x[%i, %j1] : memref<?x?xf32>
      %s = arith.addf %a, %b : f32
      %t = arith.addf %s, %c : f32
      memref.store %t, %out[%i, %j] : memref<?x?xf32>
    }
  }
  return
}

// Reads and writes %b: the raised function copies %b on entry and frees the copy
// (memref.dealloc, which upstream's buffer-deallocation-pipeline refuses: the JIT runs without it).
func.func @acc(%a: memref<?xi32>, %b: memref<?xi32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xi32>
    %y = memref.load %b[%i] : memref<?xi32>
    %s = arith.addi %x, %y : i32
    memref.store %s, %b[%i] : memref<?xi32>
  }
  return
}
