(module
  (memory 1)
  (data $d "hello")
  (func (export "init")
    i32.const 0
    i32.const 0
    i32.const 5
    memory.init $d
    data.drop $d))
