;; FNV-1a over n bytes that the module first writes into its own linear
;; memory (byte i = i * 31 + 7), so the loop, the stores and the loads all
;; run in the artifact.
(module
  (memory (export "memory") 2)
  (func $fnv1a (export "fnv1a") (param $n i32) (result i32)
    (local $i i32) (local $h i32)
    (block $filled
      (loop $fill
        (br_if $filled (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (local.get $i)
          (i32.add (i32.mul (local.get $i) (i32.const 31)) (i32.const 7)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill)))
    (local.set $h (i32.const 0x811c9dc5))
    (local.set $i (i32.const 0))
    (block $done
      (loop $hash
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $h
          (i32.mul
            (i32.xor (local.get $h) (i32.load8_u (local.get $i)))
            (i32.const 0x01000193)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $hash)))
    (local.get $h))
  (func $mix64 (export "mix64") (param $a i64) (param $b i64) (result i64)
    (i64.xor (i64.rotl (i64.mul (local.get $a) (i64.const 0x9e3779b97f4a7c15))
                       (i64.const 31))
             (local.get $b)))
  ;; Rounds twice, as wasm requires: a compiler that fused the multiply and
  ;; the add into one FMA would give another answer for most inputs.
  (func $scale (export "scale") (param $x f64) (param $y f64) (result f64)
    (f64.add (f64.mul (local.get $x) (f64.const 0.1)) (local.get $y)))
  (func $third (export "third") (param $x f32) (result f32)
    (f32.div (local.get $x) (f32.const 3)))
  (func $divmod (export "divmod") (param $a i32) (param $b i32) (result i32 i32)
    (i32.div_u (local.get $a) (local.get $b))
    (i32.rem_u (local.get $a) (local.get $b)))
)
