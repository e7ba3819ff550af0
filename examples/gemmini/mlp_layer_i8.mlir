// One int8 layer in C style: zero the accumulator, accumulate in memory (i-k-j order), 784x256x1024.
func.func @mlp_layer_i8(%X: memref<784x256xi8>, %W: memref<256x1024xi8>, %Y: memref<784x1024xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cm = arith.constant 784 : index
  %ck = arith.constant 256 : index
  %cn = arith.constant 1024 : index
  %z = arith.constant 0 : i32
  scf.for %i = %c0 to %cm step %c1 {
    scf.for %j = %c0 to %cn step %c1 {
      memref.store %z, %Y[%i, %j] : memref<784x1024xi32>
    }
  }
  scf.for %i = %c0 to %cm step %c1 {
    scf.for %k = %c0 to %ck step %c1 {
      %x = memref.load %X[%i, %k] : memref<784x256xi8>
      %x32 = arith.extsi %x : i8 to i32
      scf.for %j = %c0 to %cn step %c1 {
        %w = memref.load %W[%k, %j] : memref<256x1024xi8>
        %w32 = arith.extsi %w : i8 to i32
        %p = arith.muli %x32, %w32 : i32
        %y = memref.load %Y[%i, %j] : memref<784x1024xi32>
        %s = arith.addi %y, %p : i32
        memref.store %s, %Y[%i, %j] : memref<784x1024xi32>
      }
    }
  }
  return
}
