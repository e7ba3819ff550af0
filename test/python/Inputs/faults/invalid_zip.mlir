"builtin.module"() ({
  "func.func"() <{function_type = (f32) -> f32, sym_name = "f"}> ({
  ^bb0(%x: f32):
    %y = "arith.addf"(%x) <{fastmath = #arith.fastmath<none>}> : (f32, f32) -> f32
    "func.return"(%y) : (f32) -> ()
  }) : () -> ()
}) : () -> ()
