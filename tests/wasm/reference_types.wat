(module
  (table $t 1 externref)
  (func (export "put") (param externref)
    i32.const 0
    local.get 0
    table.set $t))
