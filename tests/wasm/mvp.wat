;; The MVP only: imports from two modules, a memory, a table, globals,
;; and exports of each kind.  wh_wasm_aot_possible must accept it.
(module
  (import "host" "log" (func $log (param i32 i32)))
  (import "host" "now" (func $now (result i64)))
  (import "env" "limit" (global $limit i32))
  (import "host" "scale" (func $scale (param f32 f64) (result f64)))
  (memory (export "memory") 1 4)
  (table (export "table") 2 8 funcref)
  (global $count (mut i32) (i32.const 0))
  (global (export "answer") i32 (i32.const 42))
  (func $add (export "add") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.add)
  (func (export "tick")
    global.get $count
    i32.const 1
    i32.add
    global.set $count)
  (elem (i32.const 0) $add))
