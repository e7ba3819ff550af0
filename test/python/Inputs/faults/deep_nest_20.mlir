// A 20-deep nest of 2-trip loops.
func.func @deep(%a: memref<2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %one = arith.constant 1.0 : f32
  scf.for %i0 = %c0 to %c2 step %c1 {
    scf.for %i1 = %c0 to %c2 step %c1 {
      scf.for %i2 = %c0 to %c2 step %c1 {
        scf.for %i3 = %c0 to %c2 step %c1 {
          scf.for %i4 = %c0 to %c2 step %c1 {
            scf.for %i5 = %c0 to %c2 step %c1 {
              scf.for %i6 = %c0 to %c2 step %c1 {
                scf.for %i7 = %c0 to %c2 step %c1 {
                  scf.for %i8 = %c0 to %c2 step %c1 {
                    scf.for %i9 = %c0 to %c2 step %c1 {
                      scf.for %i10 = %c0 to %c2 step %c1 {
                        scf.for %i11 = %c0 to %c2 step %c1 {
                          scf.for %i12 = %c0 to %c2 step %c1 {
                            scf.for %i13 = %c0 to %c2 step %c1 {
                              scf.for %i14 = %c0 to %c2 step %c1 {
                                scf.for %i15 = %c0 to %c2 step %c1 {
                                  scf.for %i16 = %c0 to %c2 step %c1 {
                                    scf.for %i17 = %c0 to %c2 step %c1 {
                                      scf.for %i18 = %c0 to %c2 step %c1 {
                                        scf.for %i19 = %c0 to %c2 step %c1 {
                                          %x = memref.load %a[%i0, %i1, %i2, %i3, %i4, %i5, %i6, %i7, %i8, %i9, %i10, %i11, %i12, %i13, %i14, %i15, %i16, %i17, %i18, %i19] : memref<2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2xf32>
                                          %y = arith.addf %x, %one : f32
                                          memref.store %y, %a[%i0, %i1, %i2, %i3, %i4, %i5, %i6, %i7, %i8, %i9, %i10, %i11, %i12, %i13, %i14, %i15, %i16, %i17, %i18, %i19] : memref<2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2x2xf32>
                                        }
                                      }
                                    }
                                  }
                                }
                              }
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return
}
