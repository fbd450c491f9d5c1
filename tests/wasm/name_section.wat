;; One function.  The test appends a name section that names functions 5
;; and 9 too, which do not exist: the module must stay valid.
(module
  (func $only (export "only") (result i32) i32.const 7))
