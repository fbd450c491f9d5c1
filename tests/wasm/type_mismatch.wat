;; Built with wat2wasm --no-check: i32.add on an i64 must fail validation
;; in the code section.
(module
  (func (export "bad") (param i64) (result i32)
    local.get 0
    i32.const 1
    i32.add))
