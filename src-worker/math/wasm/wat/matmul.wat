;; Linear layers, forward and backward, for both weight layouts: [in, out] (GPT-2's Conv1D) and
;; [out, in] (the tied LM head). All six products run through one blocked GEMM:
;;
;;   out[i,j] += Σ_k A[i,k]·B[k,j]    out: M×P row-major,  A[i,k] = a[i·aRow + k·aK],
;;                                                          B[k,j] = b[k·bK + j·bCol]
;;
;; Blocking follows Goto/BLIS: a KC×NC block of B is packed into 8-column panels, an MC×KC block
;; of A into 4-row panels, and a 4×8 micro-kernel multiplies one A panel by one B panel with eight
;; f32x4 accumulators (8 of the 16 xmm registers V8 can use; larger tiles measured slower because
;; they spill). Packing turns every layout, transposed or not, into the same unit-stride stream,
;; so the strides only matter to the packers. The summation order depends only on the shape.

;; Block sizes (the packing scratch they need is declared in common.wat). A 4×KC panel of A (4 KiB) and an 8×KC panel of B (8 KiB) stay in L1 while the
;; micro-kernel runs; the packed MC×KC block of A (128 KiB) stays in L2.
(global $MC i32 (i32.const 128))
(global $KC i32 (i32.const 256))
(global $NC i32 (i32.const 1024))

;; ---------------------------------------------------------------------------------------------
;; The exported kernels. Shapes in elements; every pointer is a byte address.

;; out (N,OC) = inp (N,C) · weight (C,OC) + bias (OC); bias = 0 means none.
(func (export "matmul_forward")
      (param $out i32) (param $inp i32) (param $weight i32) (param $bias i32)
      (param $N i32) (param $C i32) (param $OC i32)
  (call $fill_rows (local.get $out) (local.get $bias) (local.get $N) (local.get $OC))
  ;; A = inp (i = n, k = c), B = weight (k = c, j = oc)
  (call $gemm (local.get $out) (local.get $inp) (local.get $C) (i32.const 1)
              (local.get $weight) (local.get $OC) (i32.const 1)
              (local.get $N) (local.get $OC) (local.get $C)))

;; dinp (N,C) += dout·weightᵀ;  dweight (C,OC) += inpᵀ·dout;  dbias (OC) += Σ_n dout (0: none).
(func (export "matmul_backward")
      (param $dinp i32) (param $dweight i32) (param $dbias i32) (param $dout i32)
      (param $inp i32) (param $weight i32) (param $N i32) (param $C i32) (param $OC i32)
  ;; dinp[n,c] = Σ_oc dout[n,oc]·weight[c,oc]: A = dout (k = oc), B[k=oc, j=c] = weight[c·OC + oc]
  (call $gemm (local.get $dinp) (local.get $dout) (local.get $OC) (i32.const 1)
              (local.get $weight) (i32.const 1) (local.get $OC)
              (local.get $N) (local.get $C) (local.get $OC))
  ;; dweight[c,oc] = Σ_n inp[n,c]·dout[n,oc]: A[i=c, k=n] = inp[n·C + c], B = dout (k = n)
  (call $gemm (local.get $dweight) (local.get $inp) (i32.const 1) (local.get $C)
              (local.get $dout) (local.get $OC) (i32.const 1)
              (local.get $C) (local.get $OC) (local.get $N))
  (if (local.get $dbias)
    (then (call $column_sums (local.get $dbias) (local.get $dout) (local.get $N) (local.get $OC)))))

;; out (N,OC) = inp (N,C) · weightᵀ, weight (OC,C): the tied LM head.
(func (export "matmul_transposed_forward")
      (param $out i32) (param $inp i32) (param $weight i32)
      (param $N i32) (param $C i32) (param $OC i32)
  (call $fill_rows (local.get $out) (i32.const 0) (local.get $N) (local.get $OC))
  ;; B[k=c, j=oc] = weight[oc·C + c]
  (call $gemm (local.get $out) (local.get $inp) (local.get $C) (i32.const 1)
              (local.get $weight) (i32.const 1) (local.get $C)
              (local.get $N) (local.get $OC) (local.get $C)))

;; dinp (N,C) += dout·weight;  dweight (OC,C) += doutᵀ·inp.
(func (export "matmul_transposed_backward")
      (param $dinp i32) (param $dweight i32) (param $dout i32) (param $inp i32) (param $weight i32)
      (param $N i32) (param $C i32) (param $OC i32)
  ;; dinp[n,c] = Σ_oc dout[n,oc]·weight[oc,c]: A = dout (k = oc), B = weight (k = oc, j = c)
  (call $gemm (local.get $dinp) (local.get $dout) (local.get $OC) (i32.const 1)
              (local.get $weight) (local.get $C) (i32.const 1)
              (local.get $N) (local.get $C) (local.get $OC))
  ;; dweight[oc,c] = Σ_n dout[n,oc]·inp[n,c]: A[i=oc, k=n] = dout[n·OC + oc], B = inp (k = n)
  (call $gemm (local.get $dweight) (local.get $dout) (i32.const 1) (local.get $OC)
              (local.get $inp) (local.get $C) (i32.const 1)
              (local.get $OC) (local.get $C) (local.get $N)))

;; ---------------------------------------------------------------------------------------------

;; Each of the N rows of out (N,P) = bias (P), or 0 when bias = 0.
(func $fill_rows (param $out i32) (param $bias i32) (param $N i32) (param $P i32)
  (local $rowBytes i32) (local $end i32)
  (local.set $rowBytes (i32.shl (local.get $P) (i32.const 2)))
  (if (i32.eqz (local.get $bias))
    (then
      (memory.fill (local.get $out) (i32.const 0) (i32.mul (local.get $N) (local.get $rowBytes)))
      (return)))
  (local.set $end (i32.add (local.get $out) (i32.mul (local.get $N) (local.get $rowBytes))))
  (block $done (loop $rows
    (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
    (memory.copy (local.get $out) (local.get $bias) (local.get $rowBytes))
    (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
    (br $rows))))

;; sums (P) += Σ_n x[n,:] for x (N,P): 16 columns at a time held in four accumulators down all
;; rows, then 4 at a time, then single columns.
(func $column_sums (param $sums i32) (param $x i32) (param $N i32) (param $P i32)
  (local $j i32) (local $p i32) (local $n i32) (local $stride i32)
  (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $s f32)
  (local.set $stride (i32.shl (local.get $P) (i32.const 2)))
  (block $done16 (loop $by16
    (br_if $done16 (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $P)))
    (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
    (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
    (local.set $p (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
    (local.set $n (local.get $N))
    (block $rowsDone (loop $rows
      (br_if $rowsDone (i32.eqz (local.get $n)))
      (local.set $a0 (f32x4.add (local.get $a0) (v128.load (local.get $p))))
      (local.set $a1 (f32x4.add (local.get $a1) (v128.load offset=16 (local.get $p))))
      (local.set $a2 (f32x4.add (local.get $a2) (v128.load offset=32 (local.get $p))))
      (local.set $a3 (f32x4.add (local.get $a3) (v128.load offset=48 (local.get $p))))
      (local.set $p (i32.add (local.get $p) (local.get $stride)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $rows)))
    (local.set $p (i32.add (local.get $sums) (i32.shl (local.get $j) (i32.const 2))))
    (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (local.get $a0)))
    (v128.store offset=16 (local.get $p) (f32x4.add (v128.load offset=16 (local.get $p)) (local.get $a1)))
    (v128.store offset=32 (local.get $p) (f32x4.add (v128.load offset=32 (local.get $p)) (local.get $a2)))
    (v128.store offset=48 (local.get $p) (f32x4.add (v128.load offset=48 (local.get $p)) (local.get $a3)))
    (local.set $j (i32.add (local.get $j) (i32.const 16)))
    (br $by16)))
  (block $done4 (loop $by4
    (br_if $done4 (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $P)))
    (local.set $a0 (v128.const i32x4 0 0 0 0))
    (local.set $p (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
    (local.set $n (local.get $N))
    (block $rowsDone (loop $rows
      (br_if $rowsDone (i32.eqz (local.get $n)))
      (local.set $a0 (f32x4.add (local.get $a0) (v128.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (local.get $stride)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $rows)))
    (local.set $p (i32.add (local.get $sums) (i32.shl (local.get $j) (i32.const 2))))
    (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (local.get $a0)))
    (local.set $j (i32.add (local.get $j) (i32.const 4)))
    (br $by4)))
  (block $done1 (loop $by1
    (br_if $done1 (i32.ge_u (local.get $j) (local.get $P)))
    (local.set $s (f32.const 0))
    (local.set $p (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
    (local.set $n (local.get $N))
    (block $rowsDone (loop $rows
      (br_if $rowsDone (i32.eqz (local.get $n)))
      (local.set $s (f32.add (local.get $s) (f32.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (local.get $stride)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $rows)))
    (local.set $p (i32.add (local.get $sums) (i32.shl (local.get $j) (i32.const 2))))
    (f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (local.get $s)))
    (local.set $j (i32.add (local.get $j) (i32.const 1)))
    (br $by1))))

;; out (M,P) += A (M,K) · B (K,P) with the strides described at the top of this file.
(func $gemm (param $out i32) (param $a i32) (param $aRow i32) (param $aK i32)
            (param $b i32) (param $bK i32) (param $bCol i32)
            (param $M i32) (param $P i32) (param $K i32)
  (local $jc i32) (local $nc i32) (local $pc i32) (local $kc i32) (local $ic i32) (local $mc i32)
  (local $jr i32) (local $ir i32) (local $rowBytes i32) (local $tileOut i32) (local $panelA i32) (local $panelB i32)
  (local.set $rowBytes (i32.shl (local.get $P) (i32.const 2)))
  (block $jcDone (loop $jcLoop  ;; NC-column blocks of out and B
    (br_if $jcDone (i32.ge_u (local.get $jc) (local.get $P)))
    (local.set $nc (call $min (i32.sub (local.get $P) (local.get $jc)) (global.get $NC)))
    (local.set $pc (i32.const 0))
    (block $pcDone (loop $pcLoop  ;; KC-deep slices of the shared dimension
      (br_if $pcDone (i32.ge_u (local.get $pc) (local.get $K)))
      (local.set $kc (call $min (i32.sub (local.get $K) (local.get $pc)) (global.get $KC)))
      (call $pack_b
        (i32.add (local.get $b) (i32.shl (i32.add (i32.mul (local.get $pc) (local.get $bK))
                                                  (i32.mul (local.get $jc) (local.get $bCol))) (i32.const 2)))
        (local.get $bK) (local.get $bCol) (local.get $kc) (local.get $nc))
      (local.set $ic (i32.const 0))
      (block $icDone (loop $icLoop  ;; MC-row blocks of out and A
        (br_if $icDone (i32.ge_u (local.get $ic) (local.get $M)))
        (local.set $mc (call $min (i32.sub (local.get $M) (local.get $ic)) (global.get $MC)))
        (call $pack_a
          (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $ic) (local.get $aRow))
                                                    (i32.mul (local.get $pc) (local.get $aK))) (i32.const 2)))
          (local.get $aRow) (local.get $aK) (local.get $mc) (local.get $kc))
        (local.set $jr (i32.const 0))
        (block $jrDone (loop $jrLoop  ;; 8-column panels of the packed B block
          (br_if $jrDone (i32.ge_u (local.get $jr) (local.get $nc)))
          (local.set $panelB (i32.add (global.get $pack_b) (i32.shl (i32.mul (local.get $jr) (local.get $kc)) (i32.const 2))))
          (local.set $ir (i32.const 0))
          (block $irDone (loop $irLoop  ;; 4-row panels of the packed A block
            (br_if $irDone (i32.ge_u (local.get $ir) (local.get $mc)))
            (local.set $panelA (i32.add (global.get $pack_a) (i32.shl (i32.mul (local.get $ir) (local.get $kc)) (i32.const 2))))
            (local.set $tileOut (i32.add (local.get $out)
              (i32.add (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $rowBytes))
                       (i32.shl (i32.add (local.get $jc) (local.get $jr)) (i32.const 2)))))
            (if (i32.and (i32.le_u (i32.add (local.get $ir) (i32.const 4)) (local.get $mc))
                         (i32.le_u (i32.add (local.get $jr) (i32.const 8)) (local.get $nc)))
              (then
                (call $micro_4x8 (local.get $panelA) (local.get $panelB) (local.get $kc)
                                 (local.get $tileOut) (local.get $rowBytes)))
              (else
                ;; An edge tile: the packed panels are zero-padded, so compute the whole 4×8 tile
                ;; into scratch and add only the part that lies inside out.
                (memory.fill (global.get $tile) (i32.const 0) (i32.const 128))
                (call $micro_4x8 (local.get $panelA) (local.get $panelB) (local.get $kc)
                                 (global.get $tile) (i32.const 32))
                (call $add_tile (local.get $tileOut) (local.get $rowBytes)
                                (call $min (i32.sub (local.get $mc) (local.get $ir)) (i32.const 4))
                                (call $min (i32.sub (local.get $nc) (local.get $jr)) (i32.const 8)))))
            (local.set $ir (i32.add (local.get $ir) (i32.const 4)))
            (br $irLoop)))
          (local.set $jr (i32.add (local.get $jr) (i32.const 8)))
          (br $jrLoop)))
        (local.set $ic (i32.add (local.get $ic) (local.get $mc)))
        (br $icLoop)))
      (local.set $pc (i32.add (local.get $pc) (local.get $kc)))
      (br $pcLoop)))
    (local.set $jc (i32.add (local.get $jc) (local.get $nc)))
    (br $jcLoop))))

(func $min (param $x i32) (param $y i32) (result i32)
  (select (local.get $x) (local.get $y) (i32.lt_u (local.get $x) (local.get $y))))

;; out[r, c] += tile[r, c] for the top-left rows×cols of the 4×8 scratch tile.
(func $add_tile (param $out i32) (param $rowBytes i32) (param $rows i32) (param $cols i32)
  (local $r i32) (local $c i32) (local $o i32) (local $t i32)
  (block $rDone (loop $rLoop
    (br_if $rDone (i32.ge_u (local.get $r) (local.get $rows)))
    (local.set $o (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $rowBytes))))
    (local.set $t (i32.add (global.get $tile) (i32.shl (local.get $r) (i32.const 5))))
    (local.set $c (i32.const 0))
    (block $cDone (loop $cLoop
      (br_if $cDone (i32.ge_u (local.get $c) (local.get $cols)))
      (f32.store (local.get $o) (f32.add (f32.load (local.get $o)) (f32.load (local.get $t))))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (local.set $t (i32.add (local.get $t) (i32.const 4)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cLoop)))
    (local.set $r (i32.add (local.get $r) (i32.const 1)))
    (br $rLoop))))

;; The micro-kernel: tile (4×8 at out, row stride rowBytes) += panelA (kc×4) · panelB (kc×8).
;; Per k: two loads of B's 8 values, four broadcasts of A's values, eight multiply-adds.
(func $micro_4x8 (param $pa i32) (param $pb i32) (param $kc i32) (param $out i32) (param $rowBytes i32)
  (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
  (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
  (local $b0 v128) (local $b1 v128) (local $ai v128)
  (loop $k
    (local.set $b0 (v128.load (local.get $pb)))
    (local.set $b1 (v128.load offset=16 (local.get $pb)))
    (local.set $ai (v128.load32_splat (local.get $pa)))
    (local.set $c00 (f32x4.relaxed_madd (local.get $ai) (local.get $b0) (local.get $c00)))
    (local.set $c01 (f32x4.relaxed_madd (local.get $ai) (local.get $b1) (local.get $c01)))
    (local.set $ai (v128.load32_splat offset=4 (local.get $pa)))
    (local.set $c10 (f32x4.relaxed_madd (local.get $ai) (local.get $b0) (local.get $c10)))
    (local.set $c11 (f32x4.relaxed_madd (local.get $ai) (local.get $b1) (local.get $c11)))
    (local.set $ai (v128.load32_splat offset=8 (local.get $pa)))
    (local.set $c20 (f32x4.relaxed_madd (local.get $ai) (local.get $b0) (local.get $c20)))
    (local.set $c21 (f32x4.relaxed_madd (local.get $ai) (local.get $b1) (local.get $c21)))
    (local.set $ai (v128.load32_splat offset=12 (local.get $pa)))
    (local.set $c30 (f32x4.relaxed_madd (local.get $ai) (local.get $b0) (local.get $c30)))
    (local.set $c31 (f32x4.relaxed_madd (local.get $ai) (local.get $b1) (local.get $c31)))
    (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
    (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
    (br_if $k (local.tee $kc (i32.sub (local.get $kc) (i32.const 1)))))
  (v128.store (local.get $out) (f32x4.add (v128.load (local.get $out)) (local.get $c00)))
  (v128.store offset=16 (local.get $out) (f32x4.add (v128.load offset=16 (local.get $out)) (local.get $c01)))
  (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
  (v128.store (local.get $out) (f32x4.add (v128.load (local.get $out)) (local.get $c10)))
  (v128.store offset=16 (local.get $out) (f32x4.add (v128.load offset=16 (local.get $out)) (local.get $c11)))
  (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
  (v128.store (local.get $out) (f32x4.add (v128.load (local.get $out)) (local.get $c20)))
  (v128.store offset=16 (local.get $out) (f32x4.add (v128.load offset=16 (local.get $out)) (local.get $c21)))
  (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
  (v128.store (local.get $out) (f32x4.add (v128.load (local.get $out)) (local.get $c30)))
  (v128.store offset=16 (local.get $out) (f32x4.add (v128.load offset=16 (local.get $out)) (local.get $c31))))

;; Stores the transpose of the 4×4 block whose rows are r0..r3: column c of the block goes to
;; dst + c·stride. Two rounds of interleaving shuffles, which V8 lowers to unpck/movlh/movhl.
(func $store_transposed (param $dst i32) (param $stride i32)
                        (param $r0 v128) (param $r1 v128) (param $r2 v128) (param $r3 v128)
  (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
  (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))       ;; a0 b0 a1 b1
  (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))  ;; a2 b2 a3 b3
  (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))       ;; c0 d0 c1 d1
  (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))  ;; c2 d2 c3 d3
  (v128.store (local.get $dst)
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))                    ;; a0 b0 c0 d0
  (local.set $dst (i32.add (local.get $dst) (local.get $stride)))
  (v128.store (local.get $dst)
    (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))              ;; a1 b1 c1 d1
  (local.set $dst (i32.add (local.get $dst) (local.get $stride)))
  (v128.store (local.get $dst)
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))                    ;; a2 b2 c2 d2
  (local.set $dst (i32.add (local.get $dst) (local.get $stride)))
  (v128.store (local.get $dst)
    (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3))))             ;; a3 b3 c3 d3

;; Packs A[i,k] = src[i·aRow + k·aK] (i < mc, k < kc) into 4-row panels: panel p holds
;; A[4p + r, k] at [p][k][r], rows past mc as zeros. Fast paths: aK = 1 (rows contiguous:
;; transpose 4×4 blocks) and aRow = 1 (the 4 rows of a k contiguous: copy); else element by element.
(func $pack_a (param $src i32) (param $aRow i32) (param $aK i32) (param $mc i32) (param $kc i32)
  (local $dst i32) (local $i0 i32) (local $k i32) (local $r i32) (local $p i32) (local $rowB i32) (local $kB i32)
  (local.set $dst (global.get $pack_a))
  (local.set $rowB (i32.shl (local.get $aRow) (i32.const 2)))
  (local.set $kB (i32.shl (local.get $aK) (i32.const 2)))
  (block $done (loop $panels
    (br_if $done (i32.ge_u (local.get $i0) (local.get $mc)))
    (local.set $k (i32.const 0))
    (local.set $p (i32.add (local.get $src) (i32.mul (local.get $i0) (local.get $rowB))))
    (if (i32.le_u (i32.add (local.get $i0) (i32.const 4)) (local.get $mc))
      (then
        (if (i32.eq (local.get $aK) (i32.const 1))
          (then
            (block $kd (loop $ks
              (br_if $kd (i32.gt_u (i32.add (local.get $k) (i32.const 4)) (local.get $kc)))
              (call $store_transposed (local.get $dst) (i32.const 16)
                (v128.load (local.get $p))
                (v128.load (i32.add (local.get $p) (local.get $rowB)))
                (v128.load (i32.add (local.get $p) (i32.shl (local.get $rowB) (i32.const 1))))
                (v128.load (i32.add (local.get $p) (i32.mul (local.get $rowB) (i32.const 3)))))
              (local.set $p (i32.add (local.get $p) (i32.const 16)))
              (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
              (local.set $k (i32.add (local.get $k) (i32.const 4)))
              (br $ks)))))
        (if (i32.eq (local.get $aRow) (i32.const 1))
          (then
            (block $kd (loop $ks
              (br_if $kd (i32.ge_u (local.get $k) (local.get $kc)))
              (v128.store (local.get $dst) (v128.load (local.get $p)))
              (local.set $p (i32.add (local.get $p) (local.get $kB)))
              (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br $ks)))))))
    ;; Whatever the fast paths left: remaining k of this panel, element by element.
    (block $kd (loop $ks
      (br_if $kd (i32.ge_u (local.get $k) (local.get $kc)))
      (local.set $r (i32.const 0))
      (loop $rs
        (f32.store (local.get $dst)
          (if (result f32) (i32.lt_u (i32.add (local.get $i0) (local.get $r)) (local.get $mc))
            (then (f32.load (i32.add (local.get $src)
              (i32.add (i32.mul (i32.add (local.get $i0) (local.get $r)) (local.get $rowB))
                       (i32.mul (local.get $k) (local.get $kB))))))
            (else (f32.const 0))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br_if $rs (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (i32.const 4))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $ks)))
    (local.set $i0 (i32.add (local.get $i0) (i32.const 4)))
    (br $panels))))

;; Packs B[k,j] = src[k·bK + j·bCol] (k < kc, j < nc) into 8-column panels: panel q holds
;; B[k, 8q + c] at [q][k][c], columns past nc as zeros. Fast paths: bCol = 1 (copy 8 values per k)
;; and bK = 1 (columns contiguous in k: transpose 4×4 blocks); else element by element.
(func $pack_b (param $src i32) (param $bK i32) (param $bCol i32) (param $kc i32) (param $nc i32)
  (local $dst i32) (local $j0 i32) (local $k i32) (local $c i32) (local $p i32) (local $kB i32) (local $colB i32)
  (local.set $dst (global.get $pack_b))
  (local.set $kB (i32.shl (local.get $bK) (i32.const 2)))
  (local.set $colB (i32.shl (local.get $bCol) (i32.const 2)))
  (block $done (loop $panels
    (br_if $done (i32.ge_u (local.get $j0) (local.get $nc)))
    (local.set $k (i32.const 0))
    (local.set $p (i32.add (local.get $src) (i32.mul (local.get $j0) (local.get $colB))))
    (if (i32.le_u (i32.add (local.get $j0) (i32.const 8)) (local.get $nc))
      (then
        (if (i32.eq (local.get $bCol) (i32.const 1))
          (then
            (block $kd (loop $ks
              (br_if $kd (i32.ge_u (local.get $k) (local.get $kc)))
              (v128.store (local.get $dst) (v128.load (local.get $p)))
              (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $p)))
              (local.set $p (i32.add (local.get $p) (local.get $kB)))
              (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br $ks)))))
        (if (i32.eq (local.get $bK) (i32.const 1))
          (then
            (block $kd (loop $ks
              (br_if $kd (i32.gt_u (i32.add (local.get $k) (i32.const 4)) (local.get $kc)))
              ;; columns j0..j0+3 fill the first half of 4 consecutive k rows, j0+4..j0+7 the second
              (call $store_transposed (local.get $dst) (i32.const 32)
                (v128.load (local.get $p))
                (v128.load (i32.add (local.get $p) (local.get $colB)))
                (v128.load (i32.add (local.get $p) (i32.shl (local.get $colB) (i32.const 1))))
                (v128.load (i32.add (local.get $p) (i32.mul (local.get $colB) (i32.const 3)))))
              (call $store_transposed (i32.add (local.get $dst) (i32.const 16)) (i32.const 32)
                (v128.load (i32.add (local.get $p) (i32.shl (local.get $colB) (i32.const 2))))
                (v128.load (i32.add (local.get $p) (i32.mul (local.get $colB) (i32.const 5))))
                (v128.load (i32.add (local.get $p) (i32.mul (local.get $colB) (i32.const 6))))
                (v128.load (i32.add (local.get $p) (i32.mul (local.get $colB) (i32.const 7)))))
              (local.set $p (i32.add (local.get $p) (i32.const 16)))
              (local.set $dst (i32.add (local.get $dst) (i32.const 128)))
              (local.set $k (i32.add (local.get $k) (i32.const 4)))
              (br $ks)))))))
    (block $kd (loop $ks
      (br_if $kd (i32.ge_u (local.get $k) (local.get $kc)))
      (local.set $c (i32.const 0))
      (loop $cs
        (f32.store (local.get $dst)
          (if (result f32) (i32.lt_u (i32.add (local.get $j0) (local.get $c)) (local.get $nc))
            (then (f32.load (i32.add (local.get $src)
              (i32.add (i32.mul (local.get $k) (local.get $kB))
                       (i32.mul (i32.add (local.get $j0) (local.get $c)) (local.get $colB))))))
            (else (f32.const 0))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br_if $cs (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 1))) (i32.const 8))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $ks)))
    (local.set $j0 (i32.add (local.get $j0) (i32.const 8)))
    (br $panels))))
