;; An imported memory with the largest maximum a 32-bit memory may have.
(module
  (import "env" "memory" (memory 2 65536)))
