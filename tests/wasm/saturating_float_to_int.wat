(module
  (func (export "trunc") (param f64) (result i32)
    local.get 0
    i32.trunc_sat_f64_s))
