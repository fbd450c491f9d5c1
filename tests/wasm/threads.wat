(module
  (memory (export "mem") 1 16 shared)
  (func (export "bump") (result i32)
    i32.const 0
    i32.const 1
    i32.atomic.rmw.add))
