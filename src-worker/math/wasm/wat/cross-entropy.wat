;; Fused softmax + cross-entropy over the vocabulary, forward and backward. The host checks every
;; target against [0, V) (first_id_out_of_range) before calling either kernel.

;; Per row: probs = softmax(logits) written over the logits (max subtracted before exp), and
;; loss = ln Σ e^(z − max) − (z[target] − max), taken from the sum rather than from the stored
;; probability, which underflows to 0 once the target trails the max by more than about 100.
;;   losses (N)  logitsToProbs (N,V)  targets (N)
(func (export "cross_entropy_forward")
      (param $losses i32) (param $probs i32) (param $targets i32) (param $N i32) (param $V i32)
  (local $n i32) (local $row i32) (local $max f32) (local $sum f32) (local $targetLogit f32)
  (block $done (loop $rows
    (br_if $done (i32.ge_u (local.get $n) (local.get $N)))
    (local.set $row (i32.add (local.get $probs) (i32.shl (i32.mul (local.get $n) (local.get $V)) (i32.const 2))))
    (local.set $max (call $row_max (local.get $row) (local.get $V)))
    (local.set $targetLogit (f32.load (i32.add (local.get $row)
      (i32.shl (i32.load (i32.add (local.get $targets) (i32.shl (local.get $n) (i32.const 2)))) (i32.const 2)))))
    (local.set $sum (call $exp_array (local.get $row) (local.get $row) (local.get $V) (local.get $max)))
    (call $scale_row (local.get $row) (local.get $V) (f32.div (f32.const 1) (local.get $sum)))
    (f32.store (i32.add (local.get $losses) (i32.shl (local.get $n) (i32.const 2)))
      (f32.demote_f64 (f64.sub (call $ln (f64.promote_f32 (local.get $sum)))
                               (f64.promote_f32 (f32.sub (local.get $targetLogit) (local.get $max))))))
    (local.set $n (i32.add (local.get $n) (i32.const 1)))
    (br $rows))))

;; dlogits = (probs − onehot(target))·dlossScale, from ∂(−ln softmax(z)[y])/∂z_i = p_i − [i = y].
;; WRITES (=); each element is read before it is written, so dlogits may alias probs.
;;   dlogits (N,V)  probs (N,V)  targets (N)
(func (export "cross_entropy_backward")
      (param $dlogits i32) (param $probs i32) (param $targets i32) (param $dlossScale f32)
      (param $N i32) (param $V i32)
  (local $n i32) (local $rowBytes i32) (local $target i32) (local $pTarget f32)
  (local $src i32) (local $dst i32) (local $end i32) (local $sv v128)
  (local.set $rowBytes (i32.shl (local.get $V) (i32.const 2)))
  (local.set $sv (f32x4.splat (local.get $dlossScale)))
  (block $done (loop $rows
    (br_if $done (i32.ge_u (local.get $n) (local.get $N)))
    (local.set $src (i32.add (local.get $probs) (i32.mul (local.get $n) (local.get $rowBytes))))
    (local.set $dst (i32.add (local.get $dlogits) (i32.mul (local.get $n) (local.get $rowBytes))))
    (local.set $target (i32.shl (i32.load (i32.add (local.get $targets) (i32.shl (local.get $n) (i32.const 2)))) (i32.const 2)))
    (local.set $pTarget (f32.load (i32.add (local.get $src) (local.get $target))))
    (local.set $end (i32.add (local.get $src) (i32.and (local.get $rowBytes) (i32.const -16))))
    (block $d4 (loop $l4
      (br_if $d4 (i32.ge_u (local.get $src) (local.get $end)))
      (v128.store (local.get $dst) (f32x4.mul (v128.load (local.get $src)) (local.get $sv)))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br $l4)))
    (local.set $end (i32.add (local.get $src) (i32.and (local.get $rowBytes) (i32.const 12))))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $src) (local.get $end)))
      (f32.store (local.get $dst) (f32.mul (f32.load (local.get $src)) (local.get $dlossScale)))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (br $l1)))
    (f32.store (i32.add (i32.add (local.get $dlogits) (i32.mul (local.get $n) (local.get $rowBytes))) (local.get $target))
               (f32.mul (f32.sub (local.get $pTarget) (f32.const 1)) (local.get $dlossScale)))
    (local.set $n (i32.add (local.get $n) (i32.const 1)))
    (br $rows))))
