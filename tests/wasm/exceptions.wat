(module
  (tag $oops (param i32))
  (func (export "guarded") (param i32) (result i32)
    try (result i32)
      local.get 0
      throw $oops
    catch $oops
    end))
