// Data-dependent exit: index of the first element greater than t (n if none), as an scf.while.
// The bound test guards the load so no element past n is read.
func.func @find_first_gt_f32(%a: memref<?xf32>, %t: f32, %n: index) -> index {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %false = arith.constant false
  %r = scf.while (%i = %c0) : (index) -> index {
    %inb = arith.cmpi slt, %i, %n : index
    %go = scf.if %inb -> (i1) {
      %x = memref.load %a[%i] : memref<?xf32>
      %le = arith.cmpf ole, %x, %t : f32
      scf.yield %le : i1
    } else {
      scf.yield %false : i1
    }
    scf.condition(%go) %i : index
  } do {
  ^bb0(%j: index):
    %next = arith.addi %j, %c1 : index
    scf.yield %next : index
  }
  return %r : index
}
