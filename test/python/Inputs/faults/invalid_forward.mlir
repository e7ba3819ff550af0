func.func @f(%x: f32) -> f32 {
  %y = arith.addf %x, %undefined : f32
  return %y : f32
}
