;; Emscripten output imports from env with its own names, and often some
;; WASI functions too: emscripten still wins.
(module
  (import "env" "emscripten_memcpy_big" (func (param i32 i32 i32)))
  (import "env" "__syscall_openat" (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 256))
