#!/usr/bin/env python3
"""Where the worker's pow and exp (src/js_math.rs) differ from glibc's, which of the two is the
correctly rounded one, by Python's decimal at 80 digits: docs/speed.md, "Where the time goes".

    python3 tests/bench/math-rounding.py

Runs tests/js_math.rs's ignored print_where_pow_and_exp_differ_from_libm (natively, where
Rust's powf and exp are glibc's) and counts, per set of 100,000 arguments, how often each side
misrounds where they differ (where both misround alike, neither count sees it)."""
import struct
import subprocess
from decimal import Decimal, getcontext

getcontext().prec = 80
out = subprocess.run(
    ['cargo', 'test', '--release', '--quiet', '--test', 'js_math', '--',
     '--ignored', '--nocapture', 'print_where_pow_and_exp_differ_from_libm'],
    check=True, capture_output=True, text=True).stdout


def f64(h):
    return struct.unpack('<d', struct.pack('<Q', int(h, 16)))[0]


counts = {}
name = None
for line in out.splitlines():
    if line.startswith('set '):
        name = line[4:].rsplit(':', 1)[0]
        counts[name] = [0, 0]
    elif line.startswith(('pow ', 'exp ')):
        fn, x, y, ours, libm = line.split()
        x, y, ours, libm = map(f64, (x, y, ours, libm))
        exact = Decimal(x).exp() if fn == 'exp' else Decimal(x) ** Decimal(y)
        ours_err, libm_err = abs(Decimal(ours) - exact), abs(Decimal(libm) - exact)
        counts[name][0 if ours_err > libm_err else 1] += 1
for name, (ours_wrong, libm_wrong) in counts.items():
    print(f'{name}: ours misrounds {ours_wrong}, glibc misrounds {libm_wrong} (of 100,000)')
