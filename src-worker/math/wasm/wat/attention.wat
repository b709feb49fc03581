;; Causal multi-head self-attention, forward and backward. inp (B,T,3C) holds q, k, v side by
;; side on the last dim; head h reads channels [h·hs, (h+1)·hs) of each, hs = C/NH. Vectors run
;; along hs (dot products, weighted row sums) and along t2 (softmax rows).

;; dst[i] (= or +=) alpha·Σ_{j<count} coef[j·coefStride]·src[j·srcStride + i] for i < len (strides
;; in bytes). With att as coef and the value rows as src this is out_t = Σ_t2 att[t2]·v_t2; the
;; backward pass uses it for dq, dk and dv. Sixteen lanes of dst are held in four accumulators
;; while j runs, then four, then single lanes.
(func $weighted_rows (param $dst i32) (param $coef i32) (param $coefStride i32) (param $src i32)
                     (param $srcStride i32) (param $count i32) (param $len i32) (param $alpha f32)
                     (param $accumulate i32)
  (local $i i32) (local $j i32) (local $c i32) (local $s i32) (local $w v128)
  (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $al v128) (local $x f32)
  (local.set $al (f32x4.splat (local.get $alpha)))
  (block $done16 (loop $by16
    (br_if $done16 (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $len)))
    (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
    (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
    (local.set $c (local.get $coef))
    (local.set $s (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))
    (local.set $j (local.get $count))
    (block $jDone (loop $jLoop
      (br_if $jDone (i32.eqz (local.get $j)))
      (local.set $w (v128.load32_splat (local.get $c)))
      (local.set $a0 (f32x4.relaxed_madd (local.get $w) (v128.load (local.get $s)) (local.get $a0)))
      (local.set $a1 (f32x4.relaxed_madd (local.get $w) (v128.load offset=16 (local.get $s)) (local.get $a1)))
      (local.set $a2 (f32x4.relaxed_madd (local.get $w) (v128.load offset=32 (local.get $s)) (local.get $a2)))
      (local.set $a3 (f32x4.relaxed_madd (local.get $w) (v128.load offset=48 (local.get $s)) (local.get $a3)))
      (local.set $c (i32.add (local.get $c) (local.get $coefStride)))
      (local.set $s (i32.add (local.get $s) (local.get $srcStride)))
      (local.set $j (i32.sub (local.get $j) (i32.const 1)))
      (br $jLoop)))
    (local.set $s (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2))))
    (if (local.get $accumulate)
      (then
        (v128.store (local.get $s) (f32x4.relaxed_madd (local.get $a0) (local.get $al) (v128.load (local.get $s))))
        (v128.store offset=16 (local.get $s) (f32x4.relaxed_madd (local.get $a1) (local.get $al) (v128.load offset=16 (local.get $s))))
        (v128.store offset=32 (local.get $s) (f32x4.relaxed_madd (local.get $a2) (local.get $al) (v128.load offset=32 (local.get $s))))
        (v128.store offset=48 (local.get $s) (f32x4.relaxed_madd (local.get $a3) (local.get $al) (v128.load offset=48 (local.get $s)))))
      (else
        (v128.store (local.get $s) (f32x4.mul (local.get $a0) (local.get $al)))
        (v128.store offset=16 (local.get $s) (f32x4.mul (local.get $a1) (local.get $al)))
        (v128.store offset=32 (local.get $s) (f32x4.mul (local.get $a2) (local.get $al)))
        (v128.store offset=48 (local.get $s) (f32x4.mul (local.get $a3) (local.get $al)))))
    (local.set $i (i32.add (local.get $i) (i32.const 16)))
    (br $by16)))
  (block $done4 (loop $by4
    (br_if $done4 (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $len)))
    (local.set $a0 (v128.const i32x4 0 0 0 0))
    (local.set $c (local.get $coef))
    (local.set $s (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))
    (local.set $j (local.get $count))
    (block $jDone (loop $jLoop
      (br_if $jDone (i32.eqz (local.get $j)))
      (local.set $a0 (f32x4.relaxed_madd (v128.load32_splat (local.get $c)) (v128.load (local.get $s)) (local.get $a0)))
      (local.set $c (i32.add (local.get $c) (local.get $coefStride)))
      (local.set $s (i32.add (local.get $s) (local.get $srcStride)))
      (local.set $j (i32.sub (local.get $j) (i32.const 1)))
      (br $jLoop)))
    (local.set $s (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2))))
    (if (local.get $accumulate)
      (then (v128.store (local.get $s) (f32x4.relaxed_madd (local.get $a0) (local.get $al) (v128.load (local.get $s)))))
      (else (v128.store (local.get $s) (f32x4.mul (local.get $a0) (local.get $al)))))
    (local.set $i (i32.add (local.get $i) (i32.const 4)))
    (br $by4)))
  (block $done1 (loop $by1
    (br_if $done1 (i32.ge_u (local.get $i) (local.get $len)))
    (local.set $x (f32.const 0))
    (local.set $c (local.get $coef))
    (local.set $s (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))
    (local.set $j (local.get $count))
    (block $jDone (loop $jLoop
      (br_if $jDone (i32.eqz (local.get $j)))
      (local.set $x (f32.add (local.get $x) (f32.mul (f32.load (local.get $c)) (f32.load (local.get $s)))))
      (local.set $c (i32.add (local.get $c) (local.get $coefStride)))
      (local.set $s (i32.add (local.get $s) (local.get $srcStride)))
      (local.set $j (i32.sub (local.get $j) (i32.const 1)))
      (br $jLoop)))
    (local.set $s (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2))))
    (local.set $x (f32.mul (local.get $x) (local.get $alpha)))
    (if (local.get $accumulate)
      (then (local.set $x (f32.add (local.get $x) (f32.load (local.get $s))))))
    (f32.store (local.get $s) (local.get $x))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br $by1))))

;; dst[j] (= or +=) scale·(x · rows_j) for j < count, rows_j = rows + j·rowStride (bytes), each
;; a dot product over len elements. Four rows at a time: four accumulators run along len, then one
;; transpose-and-add leaves the four dot products in the lanes of one vector, stored at once. This
;; is q·k for a row of scores and dout·v for a row of datt.
(func $row_dots (param $dst i32) (param $x i32) (param $rows i32) (param $rowStride i32) (param $count i32)
                (param $len i32) (param $scale f32) (param $accumulate i32)
  (local $j i32) (local $i i32) (local $len4 i32) (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32)
  (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $xv v128) (local $s v128)
  (local $tail v128) (local $d f32)
  (local.set $len4 (i32.shl (i32.and (local.get $len) (i32.const -4)) (i32.const 2)))
  (block $done4 (loop $by4
    (br_if $done4 (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $count)))
    (local.set $r0 (i32.add (local.get $rows) (i32.mul (local.get $j) (local.get $rowStride))))
    (local.set $r1 (i32.add (local.get $r0) (local.get $rowStride)))
    (local.set $r2 (i32.add (local.get $r1) (local.get $rowStride)))
    (local.set $r3 (i32.add (local.get $r2) (local.get $rowStride)))
    (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
    (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
    (local.set $tail (v128.const i32x4 0 0 0 0))
    (local.set $i (i32.const 0))
    (block $iDone (loop $iLoop
      (br_if $iDone (i32.ge_u (local.get $i) (local.get $len4)))
      (local.set $xv (v128.load (i32.add (local.get $x) (local.get $i))))
      (local.set $a0 (f32x4.relaxed_madd (local.get $xv) (v128.load (i32.add (local.get $r0) (local.get $i))) (local.get $a0)))
      (local.set $a1 (f32x4.relaxed_madd (local.get $xv) (v128.load (i32.add (local.get $r1) (local.get $i))) (local.get $a1)))
      (local.set $a2 (f32x4.relaxed_madd (local.get $xv) (v128.load (i32.add (local.get $r2) (local.get $i))) (local.get $a2)))
      (local.set $a3 (f32x4.relaxed_madd (local.get $xv) (v128.load (i32.add (local.get $r3) (local.get $i))) (local.get $a3)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $iLoop)))
    ;; the len mod 4 tail: x[i] against the four rows' i-th elements gathered into one vector,
    ;; lane j of $tail for row j
    (block $tDone (loop $tLoop
      (br_if $tDone (i32.ge_u (local.get $i) (i32.shl (local.get $len) (i32.const 2))))
      (local.set $tail (f32x4.relaxed_madd
        (v128.load32_splat (i32.add (local.get $x) (local.get $i)))
        (f32x4.replace_lane 3
          (f32x4.replace_lane 2
            (f32x4.replace_lane 1 (f32x4.splat (f32.load (i32.add (local.get $r0) (local.get $i))))
                                  (f32.load (i32.add (local.get $r1) (local.get $i))))
            (f32.load (i32.add (local.get $r2) (local.get $i))))
          (f32.load (i32.add (local.get $r3) (local.get $i))))
        (local.get $tail)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $tLoop)))
    (local.set $s (f32x4.add (call $sum4x4 (local.get $a0) (local.get $a1) (local.get $a2) (local.get $a3))
                             (local.get $tail)))
    (local.set $s (f32x4.mul (local.get $s) (f32x4.splat (local.get $scale))))
    (local.set $r0 (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2))))
    (if (local.get $accumulate) (then (local.set $s (f32x4.add (local.get $s) (v128.load (local.get $r0))))))
    (v128.store (local.get $r0) (local.get $s))
    (local.set $j (i32.add (local.get $j) (i32.const 4)))
    (br $by4)))
  ;; the count mod 4 remaining rows, one dot product each
  (block $done1 (loop $by1
    (br_if $done1 (i32.ge_u (local.get $j) (local.get $count)))
    (local.set $d (f32.mul (call $dot (local.get $x) (i32.add (local.get $rows) (i32.mul (local.get $j) (local.get $rowStride))) (local.get $len))
                           (local.get $scale)))
    (local.set $r0 (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2))))
    (if (local.get $accumulate) (then (local.set $d (f32.add (local.get $d) (f32.load (local.get $r0))))))
    (f32.store (local.get $r0) (local.get $d))
    (local.set $j (i32.add (local.get $j) (i32.const 1)))
    (br $by1))))

;; Per (b, h, t): preatt[t2] = q_t·k_t2/√hs for t2 ≤ t, att = softmax of those (max subtracted
;; first), out_t = Σ_t2 att[t2]·v_t2; entries above the diagonal are written as 0.
;;   out (B,T,C)  preatt (B,NH,T,T)  att (B,NH,T,T)  inp (B,T,3C)
(func (export "attention_forward")
      (param $out i32) (param $preatt i32) (param $att i32) (param $inp i32)
      (param $B i32) (param $T i32) (param $C i32) (param $NH i32)
  (local $hs i32) (local $hsB i32) (local $rowB i32) (local $scale f32)
  (local $b i32) (local $h i32) (local $t i32)
  (local $keys i32) (local $values i32) (local $q i32) (local $row i32) (local $max f32) (local $sum f32)
  (local.set $hs (i32.div_u (local.get $C) (local.get $NH)))
  (local.set $hsB (i32.shl (local.get $hs) (i32.const 2)))
  (local.set $rowB (i32.mul (local.get $C) (i32.const 12)))  ;; bytes per position of inp (3C floats)
  (local.set $scale (f32.div (f32.const 1) (f32.sqrt (f32.convert_i32_u (local.get $hs)))))
  (block $bDone (loop $bLoop
    (br_if $bDone (i32.ge_u (local.get $b) (local.get $B)))
    (local.set $h (i32.const 0))
    (block $hDone (loop $hLoop
      (br_if $hDone (i32.ge_u (local.get $h) (local.get $NH)))
      ;; k and v of position 0 for this (b, h); position t2 is t2·rowB further
      (local.set $keys (i32.add (local.get $inp)
        (i32.add (i32.mul (i32.mul (local.get $b) (local.get $T)) (local.get $rowB))
                 (i32.shl (i32.add (local.get $C) (i32.mul (local.get $h) (local.get $hs))) (i32.const 2)))))
      (local.set $values (i32.add (local.get $keys) (i32.shl (local.get $C) (i32.const 2))))
      (local.set $t (i32.const 0))
      (block $tDone (loop $tLoop
        (br_if $tDone (i32.ge_u (local.get $t) (local.get $T)))
        (local.set $q (i32.sub (i32.add (local.get $keys) (i32.mul (local.get $t) (local.get $rowB)))
                               (i32.shl (local.get $C) (i32.const 2))))
        (local.set $row (i32.shl (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $NH))
                                                                     (local.get $h)) (local.get $T))
                                                   (local.get $t)) (local.get $T)) (i32.const 2)))
        ;; scores against every visible key, and their max
        (call $row_dots (i32.add (local.get $preatt) (local.get $row)) (local.get $q) (local.get $keys) (local.get $rowB)
                        (i32.add (local.get $t) (i32.const 1)) (local.get $hs) (local.get $scale) (i32.const 0))
        (local.set $max (call $row_max (i32.add (local.get $preatt) (local.get $row)) (i32.add (local.get $t) (i32.const 1))))
        ;; softmax over t2 ≤ t, then zeros above the diagonal in both buffers
        (local.set $sum (call $exp_array (i32.add (local.get $att) (local.get $row))
                                           (i32.add (local.get $preatt) (local.get $row))
                                           (i32.add (local.get $t) (i32.const 1)) (local.get $max)))
        (call $scale_row (i32.add (local.get $att) (local.get $row)) (i32.add (local.get $t) (i32.const 1))
                         (f32.div (f32.const 1) (local.get $sum)))
        (memory.fill (i32.add (i32.add (local.get $preatt) (local.get $row)) (i32.shl (i32.add (local.get $t) (i32.const 1)) (i32.const 2)))
                     (i32.const 0) (i32.shl (i32.sub (i32.sub (local.get $T) (local.get $t)) (i32.const 1)) (i32.const 2)))
        (memory.fill (i32.add (i32.add (local.get $att) (local.get $row)) (i32.shl (i32.add (local.get $t) (i32.const 1)) (i32.const 2)))
                     (i32.const 0) (i32.shl (i32.sub (i32.sub (local.get $T) (local.get $t)) (i32.const 1)) (i32.const 2)))
        ;; out_t = Σ_t2 att[t2]·v_t2
        (call $weighted_rows
          (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $T)) (local.get $t))
                                                               (local.get $C))
                                                      (i32.mul (local.get $h) (local.get $hs))) (i32.const 2)))
          (i32.add (local.get $att) (local.get $row)) (i32.const 4)
          (local.get $values) (local.get $rowB)
          (i32.add (local.get $t) (i32.const 1)) (local.get $hs) (f32.const 1) (i32.const 0))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tLoop)))
      (local.set $h (i32.add (local.get $h) (i32.const 1)))
      (br $hLoop)))
    (local.set $b (i32.add (local.get $b) (i32.const 1)))
    (br $bLoop))))

;; Backward through out = att·v, att = softmax(preatt), preatt = q·kᵀ/√hs, per (b, h), t2 ≤ t:
;;   datt[t,t2]    += dout_t·v_t2
;;   dpreatt[t,t2] += att[t,t2]·(datt[t,t2] − Σ_t3 att[t,t3]·datt[t,t3])   (softmax Jacobian)
;;   dq_t  += Σ_t2 dpreatt[t,t2]·k_t2/√hs           first pass, over query rows t
;;   dk_t2 += Σ_t  dpreatt[t,t2]·q_t/√hs            second pass, over key positions t2,
;;   dv_t2 += Σ_t  att[t,t2]·dout_t                  gathering columns t ≥ t2
;; datt and dpreatt are read back after accumulating, as in the reference.
;;   dinp (B,T,3C)  dpreatt, datt (B,NH,T,T)  dout (B,T,C)  inp (B,T,3C)  att (B,NH,T,T)
(func (export "attention_backward")
      (param $dinp i32) (param $dpreatt i32) (param $datt i32) (param $dout i32) (param $inp i32)
      (param $att i32) (param $B i32) (param $T i32) (param $C i32) (param $NH i32)
  (local $hs i32) (local $rowB i32) (local $doutRowB i32) (local $TB i32) (local $scale f32)
  (local $b i32) (local $h i32) (local $t i32) (local $t2 i32) (local $n i32)
  (local $qOff i32) (local $dOff i32) (local $att0 i32) (local $row i32) (local $p i32)
  (local $d i32) (local $weighted f32)
  (local.set $hs (i32.div_u (local.get $C) (local.get $NH)))
  (local.set $rowB (i32.mul (local.get $C) (i32.const 12)))
  (local.set $doutRowB (i32.shl (local.get $C) (i32.const 2)))
  (local.set $TB (i32.shl (local.get $T) (i32.const 2)))
  (local.set $scale (f32.div (f32.const 1) (f32.sqrt (f32.convert_i32_u (local.get $hs)))))
  (block $bDone (loop $bLoop
    (br_if $bDone (i32.ge_u (local.get $b) (local.get $B)))
    (local.set $h (i32.const 0))
    (block $hDone (loop $hLoop
      (br_if $hDone (i32.ge_u (local.get $h) (local.get $NH)))
      ;; byte offsets of q at position 0 in inp/dinp, of dout at position 0, of att[0,0]
      (local.set $qOff (i32.add (i32.mul (i32.mul (local.get $b) (local.get $T)) (local.get $rowB))
                                (i32.shl (i32.mul (local.get $h) (local.get $hs)) (i32.const 2))))
      (local.set $dOff (i32.add (i32.mul (i32.mul (local.get $b) (local.get $T)) (local.get $doutRowB))
                                (i32.shl (i32.mul (local.get $h) (local.get $hs)) (i32.const 2))))
      (local.set $att0 (i32.mul (i32.mul (i32.add (i32.mul (local.get $b) (local.get $NH)) (local.get $h))
                                         (local.get $T)) (local.get $TB)))

      (local.set $t (i32.const 0))
      (block $tDone (loop $tLoop
        (br_if $tDone (i32.ge_u (local.get $t) (local.get $T)))
        (local.set $row (i32.add (local.get $att0) (i32.mul (local.get $t) (local.get $TB))))
        (local.set $n (i32.add (local.get $t) (i32.const 1)))
        (local.set $d (i32.add (i32.add (local.get $dout) (local.get $dOff)) (i32.mul (local.get $t) (local.get $doutRowB))))
        ;; datt[t,t2] += dout_t·v_t2
        (call $row_dots (i32.add (local.get $datt) (local.get $row)) (local.get $d)
                        (i32.add (i32.add (local.get $inp) (local.get $qOff)) (i32.shl (local.get $C) (i32.const 3)))
                        (local.get $rowB) (local.get $n) (local.get $hs) (f32.const 1) (i32.const 1))
        ;; dpreatt[t,t2] += att[t,t2]·(datt[t,t2] − Σ att·datt)
        (local.set $weighted (call $dot (i32.add (local.get $att) (local.get $row)) (i32.add (local.get $datt) (local.get $row)) (local.get $n)))
        (call $softmax_backward_row (i32.add (local.get $dpreatt) (local.get $row)) (i32.add (local.get $att) (local.get $row))
                                    (i32.add (local.get $datt) (local.get $row)) (local.get $n) (local.get $weighted))
        ;; dq_t += Σ_t2 dpreatt[t,t2]·k_t2 / √hs
        (call $weighted_rows
          (i32.add (i32.add (local.get $dinp) (local.get $qOff)) (i32.mul (local.get $t) (local.get $rowB)))
          (i32.add (local.get $dpreatt) (local.get $row)) (i32.const 4)
          (i32.add (i32.add (local.get $inp) (local.get $qOff)) (i32.shl (local.get $C) (i32.const 2))) (local.get $rowB)
          (local.get $n) (local.get $hs) (local.get $scale) (i32.const 1))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tLoop)))

      (local.set $t2 (i32.const 0))
      (block $t2Done (loop $t2Loop
        (br_if $t2Done (i32.ge_u (local.get $t2) (local.get $T)))
        ;; column t2 of att/dpreatt from row t2 down: att[t,t2] at att0 + t·TB + t2·4
        (local.set $p (i32.add (local.get $att0) (i32.mul (local.get $t2) (i32.add (local.get $TB) (i32.const 4)))))
        (local.set $n (i32.sub (local.get $T) (local.get $t2)))
        ;; dk_t2 += Σ_t dpreatt[t,t2]·q_t / √hs
        (call $weighted_rows
          (i32.add (i32.add (i32.add (local.get $dinp) (local.get $qOff)) (i32.mul (local.get $t2) (local.get $rowB)))
                   (i32.shl (local.get $C) (i32.const 2)))
          (i32.add (local.get $dpreatt) (local.get $p)) (local.get $TB)
          (i32.add (i32.add (local.get $inp) (local.get $qOff)) (i32.mul (local.get $t2) (local.get $rowB))) (local.get $rowB)
          (local.get $n) (local.get $hs) (local.get $scale) (i32.const 1))
        ;; dv_t2 += Σ_t att[t,t2]·dout_t
        (call $weighted_rows
          (i32.add (i32.add (i32.add (local.get $dinp) (local.get $qOff)) (i32.mul (local.get $t2) (local.get $rowB)))
                   (i32.shl (local.get $C) (i32.const 3)))
          (i32.add (local.get $att) (local.get $p)) (local.get $TB)
          (i32.add (i32.add (local.get $dout) (local.get $dOff)) (i32.mul (local.get $t2) (local.get $doutRowB))) (local.get $doutRowB)
          (local.get $n) (local.get $hs) (f32.const 1) (i32.const 1))
        (local.set $t2 (i32.add (local.get $t2) (i32.const 1)))
        (br $t2Loop)))
      (local.set $h (i32.add (local.get $h) (i32.const 1)))
      (br $hLoop)))
    (local.set $b (i32.add (local.get $b) (i32.const 1)))
    (br $bLoop))))

;; dpre[i] += att[i]·(datt[i] − weighted) for n elements.
(func $softmax_backward_row (param $dpre i32) (param $att i32) (param $datt i32) (param $n i32) (param $weighted f32)
  (local $w v128) (local $end i32)
  (local.set $w (f32x4.splat (local.get $weighted)))
  (local.set $end (i32.add (local.get $dpre) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
  (block $done4 (loop $by4
    (br_if $done4 (i32.ge_u (local.get $dpre) (local.get $end)))
    (v128.store (local.get $dpre)
      (f32x4.relaxed_madd (v128.load (local.get $att)) (f32x4.sub (v128.load (local.get $datt)) (local.get $w))
                          (v128.load (local.get $dpre))))
    (local.set $dpre (i32.add (local.get $dpre) (i32.const 16)))
    (local.set $att (i32.add (local.get $att) (i32.const 16)))
    (local.set $datt (i32.add (local.get $datt) (i32.const 16)))
    (br $by4)))
  (local.set $end (i32.add (local.get $dpre) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
  (block $done (loop $tail
    (br_if $done (i32.ge_u (local.get $dpre) (local.get $end)))
    (f32.store (local.get $dpre)
      (f32.add (f32.load (local.get $dpre))
               (f32.mul (f32.load (local.get $att)) (f32.sub (f32.load (local.get $datt)) (local.get $weighted)))))
    (local.set $dpre (i32.add (local.get $dpre) (i32.const 4)))
    (local.set $att (i32.add (local.get $att) (i32.const 4)))
    (local.set $datt (i32.add (local.get $datt) (i32.const 4)))
    (br $tail))))
