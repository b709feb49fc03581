;; The cheap kernels: token + position embedding, residual sums, and the whole-buffer reductions
;; used by gradient clipping. All are memory-bound, so plain f32x4 loops suffice.

;; out[b,t,:] = wte[inp[b,t],:] + wpe[t,:]
;;   out (B,T,C)  inp (B,T)  wte (V,C)  wpe (maxT,C)
(func (export "encoder_forward")
      (param $out i32) (param $inp i32) (param $wte i32) (param $wpe i32)
      (param $B i32) (param $T i32) (param $C i32)
  (local $b i32) (local $t i32) (local $rowBytes i32)
  (local.set $rowBytes (i32.shl (local.get $C) (i32.const 2)))
  (block $bDone (loop $bLoop
    (br_if $bDone (i32.ge_u (local.get $b) (local.get $B)))
    (local.set $t (i32.const 0))
    (block $tDone (loop $tLoop
      (br_if $tDone (i32.ge_u (local.get $t) (local.get $T)))
      (call $add_rows (local.get $out)
        (i32.add (local.get $wte) (i32.mul (i32.load (local.get $inp)) (local.get $rowBytes)))
        (i32.add (local.get $wpe) (i32.mul (local.get $t) (local.get $rowBytes)))
        (local.get $C))
      (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
      (local.set $inp (i32.add (local.get $inp) (i32.const 4)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $tLoop)))
    (local.set $b (i32.add (local.get $b) (i32.const 1)))
    (br $bLoop))))

;; dwte[inp[b,t],:] += dout[b,t,:];  dwpe[t,:] += dout[b,t,:], in (b, t) order.
;;   dwte (V,C)  dwpe (maxT,C)  dout (B,T,C)  inp (B,T)
(func (export "encoder_backward")
      (param $dwte i32) (param $dwpe i32) (param $dout i32) (param $inp i32)
      (param $B i32) (param $T i32) (param $C i32)
  (local $b i32) (local $t i32) (local $rowBytes i32)
  (local.set $rowBytes (i32.shl (local.get $C) (i32.const 2)))
  (block $bDone (loop $bLoop
    (br_if $bDone (i32.ge_u (local.get $b) (local.get $B)))
    (local.set $t (i32.const 0))
    (block $tDone (loop $tLoop
      (br_if $tDone (i32.ge_u (local.get $t) (local.get $T)))
      (call $accumulate_both
        (i32.add (local.get $dwte) (i32.mul (i32.load (local.get $inp)) (local.get $rowBytes)))
        (i32.add (local.get $dwpe) (i32.mul (local.get $t) (local.get $rowBytes)))
        (local.get $dout) (local.get $C))
      (local.set $dout (i32.add (local.get $dout) (local.get $rowBytes)))
      (local.set $inp (i32.add (local.get $inp) (i32.const 4)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $tLoop)))
    (local.set $b (i32.add (local.get $b) (i32.const 1)))
    (br $bLoop))))

;; out = a + b
(func (export "residual_forward") (param $out i32) (param $a i32) (param $b i32) (param $n i32)
  (call $add_rows (local.get $out) (local.get $a) (local.get $b) (local.get $n)))

;; da += dout; db += dout
(func (export "residual_backward") (param $da i32) (param $db i32) (param $dout i32) (param $n i32)
  (call $accumulate_both (local.get $da) (local.get $db) (local.get $dout) (local.get $n)))

;; x *= s
(func (export "scale") (param $x i32) (param $s f32) (param $n i32)
  (call $scale_row (local.get $x) (local.get $n) (local.get $s)))

;; Σ x² in double precision: each square is exact in f64 (24-bit mantissas), summed in two f64x2
;; accumulators (lanes 0–1 and 2–3 of each group of four), then the tail.
(func (export "sum_squares") (param $x i32) (param $n i32) (result f64)
  (local $v v128) (local $lo v128) (local $hi v128) (local $acc0 v128) (local $acc1 v128)
  (local $end i32) (local $s f64) (local $e f64)
  (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
  (block $done4 (loop $by4
    (br_if $done4 (i32.ge_u (local.get $x) (local.get $end)))
    (local.set $v (v128.load (local.get $x)))
    (local.set $lo (f64x2.promote_low_f32x4 (local.get $v)))
    (local.set $hi (f64x2.promote_low_f32x4
      (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v))))
    (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.mul (local.get $lo) (local.get $lo))))
    (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.mul (local.get $hi) (local.get $hi))))
    (local.set $x (i32.add (local.get $x) (i32.const 16)))
    (br $by4)))
  (local.set $acc0 (f64x2.add (local.get $acc0) (local.get $acc1)))
  (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $acc0)) (f64x2.extract_lane 1 (local.get $acc0))))
  (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
  (block $done (loop $tail
    (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
    (local.set $e (f64.promote_f32 (f32.load (local.get $x))))
    (local.set $s (f64.add (local.get $s) (f64.mul (local.get $e) (local.get $e))))
    (local.set $x (i32.add (local.get $x) (i32.const 4)))
    (br $tail)))
  (local.get $s))
