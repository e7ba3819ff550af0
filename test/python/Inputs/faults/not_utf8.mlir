// café ÿþ
func.func @f() {
  return
}
