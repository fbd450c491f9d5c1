;; Export and import names are any UTF-8: spaces, punctuation, quotes,
;; non-ASCII letters and emoji, even the empty name.
(module
  (import "my host" "say \"hi\", then go" (func (param i32)))
  (func (export "hello world") (result i32) i32.const 1)
  (func (export "größe/überall:ß") (result i32) i32.const 2)
  (func (export "🚢 ship it!") (result i32) i32.const 3)
  (func (export "") (result i32) i32.const 4))
