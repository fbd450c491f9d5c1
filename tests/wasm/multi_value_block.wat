;; Multi-value seen only in a block type: the function itself is MVP.
(module
  (type $pair (func (param i32) (result i32 i32)))
  (func (export "dup") (param i32) (result i32)
    local.get 0
    block (type $pair)
      local.tee 0
      local.get 0
    end
    i32.add))
