;; The input wat2wasm compiles in each request: a small library with a memory, a table, globals,
;; loops, calls and a data segment.
(module
  (type $binop (func (param i32 i32) (result i32)))
  (import "env" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1 16)
  (global $counter (mut i32) (i32.const 0))
  (global $base i32 (i32.const 1024))
  (table 4 funcref)
  (elem (i32.const 0) $add $sub $mul $max)
  (data (i32.const 16) "hello from wat2wasm\00")

  (func $add (type $binop) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $binop) (i32.sub (local.get 0) (local.get 1)))
  (func $mul (type $binop) (i32.mul (local.get 0) (local.get 1)))
  (func $max (type $binop)
    (select (local.get 0) (local.get 1) (i32.gt_s (local.get 0) (local.get 1))))

  (func (export "apply") (param $op i32) (param $a i32) (param $b i32) (result i32)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (call_indirect (type $binop) (local.get $a) (local.get $b) (local.get $op)))

  (func $fib (export "fib") (param $n i32) (result i64)
    (local $a i64) (local $b i64) (local $t i64)
    (local.set $b (i64.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $t (i64.add (local.get $a) (local.get $b)))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $a))

  (func $strlen (export "strlen") (param $p i32) (result i32)
    (local $q i32)
    (local.set $q (local.get $p))
    (block $end
      (loop $scan
        (br_if $end (i32.eqz (i32.load8_u (local.get $q))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $scan)))
    (i32.sub (local.get $q) (local.get $p)))

  (func (export "sum") (param $p i32) (param $n i32) (result i64)
    (local $s i64)
    (block $end
      (loop $add
        (br_if $end (i32.le_s (local.get $n) (i32.const 0)))
        (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (i32.load (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $add)))
    (local.get $s))

  (func (export "greet")
    (call $log (i32.const 16) (call $strlen (i32.const 16))))

  (func (export "fill") (param $v i32) (param $n i32)
    (memory.fill (global.get $base) (local.get $v) (local.get $n)))

  (func (export "grow") (param $pages i32) (result i32)
    (memory.grow (local.get $pages)))

  (func (export "f64ops") (param $x f64) (result f64)
    (f64.add (f64.sqrt (f64.abs (local.get $x))) (f64.floor (f64.mul (local.get $x) (f64.const 0.5))))))
