// mathfu vector -= scalar in double precision: a[i] -= s, in place.
func.func @subeq_sca(%a: memref<?xf64>, %s: f64, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xf64>
    %d = arith.subf %x, %s : f64
    memref.store %d, %a[%i] : memref<?xf64>
  }
  return
}
