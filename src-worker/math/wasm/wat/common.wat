;; Helpers shared by the kernel files: row reductions, a vector e^x, a scalar ln, row arithmetic.
;; Every pointer is a byte address into the one shared memory; every length counts f32 elements.

;; Scratch memory, allocated once by the host per instance (instances sharing a memory never share
;; scratch); the sizes in floats are exported so the host knows what to allocate.
(global (export "pack_a_floats") i32 (i32.const 32768))  ;; matmul: a packed MC×KC block of A
(global (export "pack_b_floats") i32 (i32.const 262144)) ;; matmul: a packed KC×NC block of B
(global (export "tile_floats") i32 (i32.const 32))       ;; matmul: one 4×8 edge tile
(global (export "chunk_floats") i32 (i32.const 1024))    ;; gelu: one chunk of e^(−2u)
(global $pack_a (mut i32) (i32.const 0))
(global $pack_b (mut i32) (i32.const 0))
(global $tile (mut i32) (i32.const 0))
(global $chunk (mut i32) (i32.const 0))
(func (export "set_scratch") (param $pack_a i32) (param $pack_b i32) (param $tile i32) (param $chunk i32)
  (global.set $pack_a (local.get $pack_a))
  (global.set $pack_b (local.get $pack_b))
  (global.set $tile (local.get $tile))
  (global.set $chunk (local.get $chunk)))

;; Σ lanes of a f32x4, as (l0 + l1) + (l2 + l3).
(func $hsum (param $v v128) (result f32)
  (f32.add
    (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
    (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

;; The four horizontal sums at once: lane j of the result is Σ lanes of a_j (a transpose by two
;; rounds of interleaving, adding as it goes).
(func $sum4x4 (param $a0 v128) (param $a1 v128) (param $a2 v128) (param $a3 v128) (result v128)
  (local $t01 v128) (local $t23 v128)
  ;; t01 = (a0₀+a0₂, a1₀+a1₂, a0₁+a0₃, a1₁+a1₃), t23 likewise for a2, a3
  (local.set $t01 (f32x4.add
    (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a0) (local.get $a1))
    (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1))))
  (local.set $t23 (f32x4.add
    (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a2) (local.get $a3))
    (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3))))
  (f32x4.add
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t01) (local.get $t23))
    (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t01) (local.get $t23))))

;; Σ_i a[i]·b[i] over n elements. Two vector accumulators hide the add latency; a scalar loop
;; takes the n mod 4 tail.
(func $dot (param $a i32) (param $b i32) (param $n i32) (result f32)
  (local $acc0 v128) (local $acc1 v128) (local $end i32) (local $s f32)
  (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
  (block $done8 (loop $by8
    (br_if $done8 (i32.ge_u (local.get $a) (local.get $end)))
    (local.set $acc0 (f32x4.relaxed_madd (v128.load (local.get $a)) (v128.load (local.get $b)) (local.get $acc0)))
    (local.set $acc1 (f32x4.relaxed_madd (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b)) (local.get $acc1)))
    (local.set $a (i32.add (local.get $a) (i32.const 32)))
    (local.set $b (i32.add (local.get $b) (i32.const 32)))
    (br $by8)))
  (if (i32.and (local.get $n) (i32.const 4))
    (then
      (local.set $acc0 (f32x4.relaxed_madd (v128.load (local.get $a)) (v128.load (local.get $b)) (local.get $acc0)))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))))
  (local.set $s (call $hsum (f32x4.add (local.get $acc0) (local.get $acc1))))
  (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
  (block $done (loop $tail
    (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
    (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b)))))
    (local.set $a (i32.add (local.get $a) (i32.const 4)))
    (local.set $b (i32.add (local.get $b) (i32.const 4)))
    (br $tail)))
  (local.get $s))

;; max_i x[i] over n ≥ 1 elements.
(func $row_max (param $x i32) (param $n i32) (result f32)
  (local $m v128) (local $end i32) (local $s f32)
  (local.set $m (f32x4.splat (f32.load (local.get $x))))
  (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
  (block $done4 (loop $by4
    (br_if $done4 (i32.ge_u (local.get $x) (local.get $end)))
    (local.set $m (f32x4.max (local.get $m) (v128.load (local.get $x))))
    (local.set $x (i32.add (local.get $x) (i32.const 16)))
    (br $by4)))
  (local.set $s (f32.max
    (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
    (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
  (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
  (block $done (loop $tail
    (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
    (local.set $s (f32.max (local.get $s) (f32.load (local.get $x))))
    (local.set $x (i32.add (local.get $x) (i32.const 4)))
    (br $tail)))
  (local.get $s))

;; ln x for a positive normal double: x = 2^e·m with m in [√½, √2), ln m = 2·atanh(s) with
;; s = (m − 1)/(m + 1), |s| ≤ 0.172, summed as the odd series up to s^21 (error below 1e-16).
;; Only the cross-entropy loss uses it, once per row, so it favours plainness over speed.
(func $ln (param $x f64) (result f64)
  (local $bits i64) (local $e f64) (local $m f64) (local $s f64) (local $s2 f64) (local $term f64)
  (local $sum f64) (local $k f64)
  (local.set $bits (i64.reinterpret_f64 (local.get $x)))
  (local.set $e (f64.convert_i64_s (i64.sub (i64.shr_u (local.get $bits) (i64.const 52)) (i64.const 1023))))
  (local.set $m (f64.reinterpret_i64 (i64.or (i64.and (local.get $bits) (i64.const 0x000fffffffffffff))
                                            (i64.const 0x3ff0000000000000))))
  (if (f64.gt (local.get $m) (f64.const 1.4142135623730951))
    (then
      (local.set $m (f64.mul (local.get $m) (f64.const 0.5)))
      (local.set $e (f64.add (local.get $e) (f64.const 1)))))
  (local.set $s (f64.div (f64.sub (local.get $m) (f64.const 1)) (f64.add (local.get $m) (f64.const 1))))
  (local.set $s2 (f64.mul (local.get $s) (local.get $s)))
  (local.set $term (local.get $s))
  (local.set $k (f64.const 1))
  (loop $series
    (local.set $sum (f64.add (local.get $sum) (f64.div (local.get $term) (local.get $k))))
    (local.set $term (f64.mul (local.get $term) (local.get $s2)))
    (local.set $k (f64.add (local.get $k) (f64.const 2)))
    (br_if $series (f64.le (local.get $k) (f64.const 21))))
  (f64.add (f64.mul (local.get $e) (f64.const 0.6931471805599453)) (f64.mul (f64.const 2) (local.get $sum))))

;; The first `count` (< 4) floats at p in the low lanes of a vector, the other lanes = fill.
(func $load_partial (param $p i32) (param $count i32) (param $fill f32) (result v128)
  (local $v v128)
  (local.set $v (f32x4.splat (local.get $fill)))
  (if (i32.gt_u (local.get $count) (i32.const 0)) (then (local.set $v (v128.load32_lane 0 (local.get $p) (local.get $v)))))
  (if (i32.gt_u (local.get $count) (i32.const 1)) (then (local.set $v (v128.load32_lane offset=4 1 (local.get $p) (local.get $v)))))
  (if (i32.gt_u (local.get $count) (i32.const 2)) (then (local.set $v (v128.load32_lane offset=8 2 (local.get $p) (local.get $v)))))
  (local.get $v))

;; Stores the low `count` (< 4) lanes of v at p.
(func $store_partial (param $p i32) (param $v v128) (param $count i32)
  (if (i32.gt_u (local.get $count) (i32.const 0)) (then (v128.store32_lane 0 (local.get $p) (local.get $v))))
  (if (i32.gt_u (local.get $count) (i32.const 1)) (then (v128.store32_lane offset=4 1 (local.get $p) (local.get $v))))
  (if (i32.gt_u (local.get $count) (i32.const 2)) (then (v128.store32_lane offset=8 2 (local.get $p) (local.get $v)))))

;; dst[i] = e^(src[i] − shift) for n elements (dst may equal src); returns Σ dst[i]. This is the
;; engine's only e^x (softmax rows, GELU's tanh), written inline in the loop because a call per
;; vector cost three times the arithmetic. A last partial vector goes through the same code.
;;
;; The Cephes expf scheme: x = k·ln2 + r with k = round(x/ln2), |r| ≤ ln2/2; e^r from a degree-7
;; polynomial (relative error ≈ 1e-7), 2^k written straight into the exponent bits. x is clamped
;; to [−87.3, 88] so that 2^k stays a normal float: below the clamp the result is e^−87.3 ≈ 1e-38,
;; which no softmax or tanh in float32 can tell from 0.
(func $exp_array (param $dst i32) (param $src i32) (param $n i32) (param $shift f32) (result f32)
  (local $sh v128) (local $x v128) (local $k v128) (local $r v128) (local $p v128) (local $acc v128)
  (local $left i32)
  (local.set $sh (f32x4.splat (local.get $shift)))
  (local.set $left (local.get $n))
  (block $done (loop $by4
    (br_if $done (i32.eqz (local.get $left)))
    (local.set $x (f32x4.sub
      (if (result v128) (i32.ge_u (local.get $left) (i32.const 4))
        (then (v128.load (local.get $src)))
        (else (call $load_partial (local.get $src) (local.get $left) (local.get $shift))))
      (local.get $sh)))
    (local.set $x (f32x4.pmin (v128.const f32x4 88 88 88 88)
                              (f32x4.pmax (v128.const f32x4 -87.3 -87.3 -87.3 -87.3) (local.get $x))))
    (local.set $k (f32x4.nearest (f32x4.mul (local.get $x)
      (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))))
    ;; r = x − k·ln2 with ln2 split as 0.693359375 − 2.12194440e-4 (Cody–Waite): k·0.693359375 is
    ;; exact for |k| ≤ 128, so the reduction loses no bits.
    (local.set $r (f32x4.relaxed_madd (local.get $k) (v128.const f32x4 -0.693359375 -0.693359375 -0.693359375 -0.693359375) (local.get $x)))
    (local.set $r (f32x4.relaxed_madd (local.get $k) (v128.const f32x4 2.12194440e-4 2.12194440e-4 2.12194440e-4 2.12194440e-4) (local.get $r)))
    ;; e^r ≈ 1 + r + r²·P(r), Horner.
    (local.set $p (f32x4.relaxed_madd (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4) (local.get $r)
      (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    (local.set $p (f32x4.relaxed_madd (local.get $p) (f32x4.mul (local.get $r) (local.get $r))
      (f32x4.add (local.get $r) (v128.const f32x4 1 1 1 1))))
    ;; × 2^k: the float with exponent field k + 127 and a zero mantissa.
    (local.set $p (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $k)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
    (if (i32.ge_u (local.get $left) (i32.const 4))
      (then
        (v128.store (local.get $dst) (local.get $p))
        (local.set $acc (f32x4.add (local.get $acc) (local.get $p)))
        (local.set $left (i32.sub (local.get $left) (i32.const 4)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16))))
      (else
        (call $store_partial (local.get $dst) (local.get $p) (local.get $left))
        ;; only the lanes that hold elements count towards the sum
        (local.set $acc (f32x4.add (local.get $acc)
          (v128.and (local.get $p) (i32x4.gt_s (i32x4.splat (local.get $left)) (v128.const i32x4 0 1 2 3)))))
        (local.set $left (i32.const 0))))
    (br $by4)))
  (call $hsum (local.get $acc)))

;; x[i] *= s for n elements.
(func $scale_row (param $x i32) (param $n i32) (param $s f32)
  (local $sv v128) (local $end i32)
  (local.set $sv (f32x4.splat (local.get $s)))
  (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
  (block $done4 (loop $by4
    (br_if $done4 (i32.ge_u (local.get $x) (local.get $end)))
    (v128.store (local.get $x) (f32x4.mul (v128.load (local.get $x)) (local.get $sv)))
    (local.set $x (i32.add (local.get $x) (i32.const 16)))
    (br $by4)))
  (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
  (block $done (loop $tail
    (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
    (f32.store (local.get $x) (f32.mul (f32.load (local.get $x)) (local.get $s)))
    (local.set $x (i32.add (local.get $x) (i32.const 4)))
    (br $tail))))

;; dst[i] = a[i] + b[i] for n elements.
(func $add_rows (param $dst i32) (param $a i32) (param $b i32) (param $n i32)
  (local $end i32)
  (local.set $end (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
  (block $done4 (loop $by4
    (br_if $done4 (i32.ge_u (local.get $dst) (local.get $end)))
    (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $a)) (v128.load (local.get $b))))
    (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
    (local.set $a (i32.add (local.get $a) (i32.const 16)))
    (local.set $b (i32.add (local.get $b) (i32.const 16)))
    (br $by4)))
  (local.set $end (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
  (block $done (loop $tail
    (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
    (f32.store (local.get $dst) (f32.add (f32.load (local.get $a)) (f32.load (local.get $b))))
    (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
    (local.set $a (i32.add (local.get $a) (i32.const 4)))
    (local.set $b (i32.add (local.get $b) (i32.const 4)))
    (br $tail))))

;; da[i] += d[i]; db[i] += d[i] for n elements: the gradient of a sum, routed to both addends.
(func $accumulate_both (param $da i32) (param $db i32) (param $d i32) (param $n i32)
  (local $end i32) (local $v v128) (local $s f32)
  (local.set $end (i32.add (local.get $d) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
  (block $done4 (loop $by4
    (br_if $done4 (i32.ge_u (local.get $d) (local.get $end)))
    (local.set $v (v128.load (local.get $d)))
    (v128.store (local.get $da) (f32x4.add (v128.load (local.get $da)) (local.get $v)))
    (v128.store (local.get $db) (f32x4.add (v128.load (local.get $db)) (local.get $v)))
    (local.set $d (i32.add (local.get $d) (i32.const 16)))
    (local.set $da (i32.add (local.get $da) (i32.const 16)))
    (local.set $db (i32.add (local.get $db) (i32.const 16)))
    (br $by4)))
  (local.set $end (i32.add (local.get $d) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
  (block $done (loop $tail
    (br_if $done (i32.ge_u (local.get $d) (local.get $end)))
    (local.set $s (f32.load (local.get $d)))
    (f32.store (local.get $da) (f32.add (f32.load (local.get $da)) (local.get $s)))
    (f32.store (local.get $db) (f32.add (f32.load (local.get $db)) (local.get $s)))
    (local.set $d (i32.add (local.get $d) (i32.const 4)))
    (local.set $da (i32.add (local.get $da) (i32.const 4)))
    (local.set $db (i32.add (local.get $db) (i32.const 4)))
    (br $tail))))

;; Index of the first ids[i] outside [0, limit), or −1 when all are inside. Token ids and targets
;; index rows of other buffers, so one out of range would read or write another tensor's memory.
(func (export "first_id_out_of_range") (param $ids i32) (param $n i32) (param $limit i32) (result i32)
  (local $i i32)
  (block $done (loop $each
    (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
    (if (i32.ge_u (i32.load (i32.add (local.get $ids) (i32.shl (local.get $i) (i32.const 2)))) (local.get $limit))
      (then (return (local.get $i))))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br $each)))
  (i32.const -1))
