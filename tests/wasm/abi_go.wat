(module
  (import "gojs" "runtime.wasmExit" (func (param i32)))
  (import "gojs" "syscall/js.valueGet" (func (param i32)))
  (memory (export "mem") 1))
