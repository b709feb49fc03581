;; GELU with the tanh approximation (GPT-2's gelu_new), forward and backward:
;;   gelu(x) = ½·x·(1 + tanh u),  u = √(2/π)·(x + 0.044715·x³)
;; ½·(1 + tanh u) is the logistic σ(2u) = 1/(1 + e^(−2u)), computed in that form: it has no
;; cancellation for either sign of u and saturates cleanly to 0 and 1.
;;
;; Both kernels run in chunks of up to 1024 elements that stay in L1: one pass writes −2u into the
;; chunk scratch, $exp_array turns it into e = e^(−2u) in place, a last pass combines.

;; chunk[i] = −2u(x[i]) for n ≤ 1024 elements.
(func $gelu_minus_2u (param $x i32) (param $n i32)
  (local $dst i32) (local $v v128)
  (local.set $dst (global.get $chunk))
  (block $done (loop $by4
    (br_if $done (i32.eqz (local.get $n)))
    (local.set $v (if (result v128) (i32.ge_u (local.get $n) (i32.const 4))
      (then (v128.load (local.get $x)))
      (else (call $load_partial (local.get $x) (local.get $n) (f32.const 0)))))
    ;; −2·√(2/π)·(x + 0.044715·x³); the lanes past n are scratch and never read back
    (v128.store (local.get $dst) (f32x4.mul
      (v128.const f32x4 -1.5957691216057308 -1.5957691216057308 -1.5957691216057308 -1.5957691216057308)
      (f32x4.relaxed_madd (f32x4.mul (f32x4.mul (local.get $v) (local.get $v)) (local.get $v))
                          (v128.const f32x4 0.044715 0.044715 0.044715 0.044715)
                          (local.get $v))))
    (local.set $n (select (i32.sub (local.get $n) (i32.const 4)) (i32.const 0) (i32.ge_u (local.get $n) (i32.const 4))))
    (local.set $x (i32.add (local.get $x) (i32.const 16)))
    (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
    (br $by4))))

;; gelu(x) = x·σ(2u) = x/(1 + e)
;;   out (n)  inp (n)
(func (export "gelu_forward") (param $out i32) (param $inp i32) (param $n i32)
  (local $m i32) (local $left i32) (local $e i32) (local $x v128) (local $y v128)
  (block $chunksDone (loop $chunks
    (br_if $chunksDone (i32.eqz (local.get $n)))
    (local.set $m (select (local.get $n) (i32.const 1024) (i32.lt_u (local.get $n) (i32.const 1024))))
    (call $gelu_minus_2u (local.get $inp) (local.get $m))
    (drop (call $exp_array (global.get $chunk) (global.get $chunk) (local.get $m) (f32.const 0)))
    (local.set $e (global.get $chunk))
    (local.set $left (local.get $m))
    (block $done (loop $by4
      (br_if $done (i32.eqz (local.get $left)))
      (if (i32.ge_u (local.get $left) (i32.const 4))
        (then
          (local.set $x (v128.load (local.get $inp)))
          (v128.store (local.get $out)
            (f32x4.div (local.get $x) (f32x4.add (v128.const f32x4 1 1 1 1) (v128.load (local.get $e)))))
          (local.set $left (i32.sub (local.get $left) (i32.const 4))))
        (else
          (local.set $x (call $load_partial (local.get $inp) (local.get $left) (f32.const 0)))
          (local.set $y (f32x4.div (local.get $x) (f32x4.add (v128.const f32x4 1 1 1 1) (v128.load (local.get $e)))))
          (call $store_partial (local.get $out) (local.get $y) (local.get $left))
          (local.set $left (i32.const 0))))
      (local.set $inp (i32.add (local.get $inp) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (local.set $e (i32.add (local.get $e) (i32.const 16)))
      (br $by4)))
    ;; the partial vector (if any) was the last of the chunk, so the pointers overshoot only then
    (local.set $n (i32.sub (local.get $n) (local.get $m)))
    (br $chunks))))

;; d gelu/dx = ½·(1 + tanh u) + ½·x·(1 − tanh² u)·du/dx,  du/dx = √(2/π)·(1 + 3·0.044715·x²).
;; With h = σ(2u) and e = e^(−2u): 1 − h = h·e and 1 − tanh² u = 4·h·(1 − h) = 4·h²·e, so
;; d gelu/dx = h + 2·x·h²·e·du/dx.
;;   dinp (n) += gelu'(inp)·dout    inp (n)  dout (n)
(func (export "gelu_backward") (param $dinp i32) (param $inp i32) (param $dout i32) (param $n i32)
  (local $m i32) (local $left i32) (local $full i32) (local $e i32)
  (local $x v128) (local $ev v128) (local $h v128) (local $dudx v128) (local $d v128) (local $acc v128)
  (block $chunksDone (loop $chunks
    (br_if $chunksDone (i32.eqz (local.get $n)))
    (local.set $m (select (local.get $n) (i32.const 1024) (i32.lt_u (local.get $n) (i32.const 1024))))
    (call $gelu_minus_2u (local.get $inp) (local.get $m))
    (drop (call $exp_array (global.get $chunk) (global.get $chunk) (local.get $m) (f32.const 0)))
    (local.set $e (global.get $chunk))
    (local.set $left (local.get $m))
    (block $done (loop $by4
      (br_if $done (i32.eqz (local.get $left)))
      ;; a whole vector, or the chunk's last 1–3 elements through the same arithmetic
      (local.set $full (i32.ge_u (local.get $left) (i32.const 4)))
      (local.set $x (if (result v128) (local.get $full)
        (then (v128.load (local.get $inp)))
        (else (call $load_partial (local.get $inp) (local.get $left) (f32.const 0)))))
      (local.set $d (if (result v128) (local.get $full)
        (then (v128.load (local.get $dout)))
        (else (call $load_partial (local.get $dout) (local.get $left) (f32.const 0)))))
      (local.set $acc (if (result v128) (local.get $full)
        (then (v128.load (local.get $dinp)))
        (else (call $load_partial (local.get $dinp) (local.get $left) (f32.const 0)))))
      (local.set $ev (v128.load (local.get $e)))
      (local.set $h (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $ev))))
      (local.set $dudx (f32x4.mul
        (v128.const f32x4 0.7978845608028654 0.7978845608028654 0.7978845608028654 0.7978845608028654)
        (f32x4.relaxed_madd (f32x4.mul (local.get $x) (local.get $x))
                            (v128.const f32x4 0.134145 0.134145 0.134145 0.134145)
                            (v128.const f32x4 1 1 1 1))))
      ;; dinp += (h + 2·x·h²·e·du/dx)·dout
      (local.set $acc (f32x4.relaxed_madd
        (f32x4.relaxed_madd
          (f32x4.mul (f32x4.add (local.get $x) (local.get $x))
                     (f32x4.mul (f32x4.mul (local.get $h) (local.get $h)) (local.get $ev)))
          (local.get $dudx)
          (local.get $h))
        (local.get $d)
        (local.get $acc)))
      (if (local.get $full)
        (then
          (v128.store (local.get $dinp) (local.get $acc))
          (local.set $left (i32.sub (local.get $left) (i32.const 4))))
        (else
          (call $store_partial (local.get $dinp) (local.get $acc) (local.get $left))
          (local.set $left (i32.const 0))))
      (local.set $inp (i32.add (local.get $inp) (i32.const 16)))
      (local.set $dout (i32.add (local.get $dout) (i32.const 16)))
      (local.set $dinp (i32.add (local.get $dinp) (i32.const 16)))
      (local.set $e (i32.add (local.get $e) (i32.const 16)))
      (br $by4)))
    (local.set $n (i32.sub (local.get $n) (local.get $m)))
    (br $chunks))))
