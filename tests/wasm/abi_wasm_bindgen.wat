(module
  (import "__wbindgen_placeholder__" "__wbindgen_describe" (func (param i32)))
  (import "./pkg_bg.js" "__wbindgen_throw" (func (param i32 i32)))
  (memory (export "memory") 17))
