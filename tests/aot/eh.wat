;; Legacy exception handling, which wasm2c 1.0.32 translates only with
;; --enable-exceptions: a throw caught inside the module, and one that
;; leaves it (a trap for the host).
(module
  (tag $boom (param i32))
  (func $throw_if (param $x i32) (result i32)
    (if (local.get $x)
      (then (throw $boom (i32.add (local.get $x) (i32.const 100)))))
    (local.get $x))
  (func $catch (export "catch") (param $x i32) (result i32)
    (try (result i32)
      (do (call $throw_if (local.get $x)))
      (catch $boom)))
  (func $raise (export "raise") (param $x i32) (result i32)
    (call $throw_if (local.get $x)))
)
