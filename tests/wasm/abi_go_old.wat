(module
  (import "go" "debug" (func (param i32)))
  (memory (export "mem") 1))
