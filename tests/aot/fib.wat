;; Recursive Fibonacci: deep call chains and i32/i64 arithmetic.
(module
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else
        (i32.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func $fib64 (export "fib64") (param $n i64) (result i64)
    (if (result i64) (i64.lt_u (local.get $n) (i64.const 2))
      (then (local.get $n))
      (else
        (i64.add
          (call $fib64 (i64.sub (local.get $n) (i64.const 1)))
          (call $fib64 (i64.sub (local.get $n) (i64.const 2)))))))
)
