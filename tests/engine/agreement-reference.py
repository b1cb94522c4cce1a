#!/usr/bin/python3
"""Reference values for tests/engine/test-agreement.c, computed straight from
the definitions with none of engine/gl-agreement.c's shortcuts:

  Cohen's kappa: the k x k table of the items both annotators labeled,
      kappa = (p_o - p_e) / (1 - p_e), and the variance of Fleiss, Cohen and
      Everitt (1969), eq. 13, term by term.
  Krippendorff's alpha (nominal): the coincidence matrix built pair by pair
      (every ordered pair of values within a unit, weighted 1 / (m_u - 1)),
      alpha = 1 - D_o / D_e with D_o = sum_{c != k} o_ck / n and
      D_e = sum_{c != k} n_c n_k / (n (n - 1)).
  Per class: the same on the labels made binary (the class against the rest).

Input on stdin: "K R" then one line per item with R integers (-1: missing).
Output: "kappa r s c value se" for every pair r < s and class c (-1: all),
then "alpha c value"; "nan" where undefined.
"""
import math
import sys


def kappa(pairs, k):
    n = len(pairs)
    if n == 0:
        return math.nan, math.nan
    p = [[0.0] * k for _ in range(k)]
    for a, b in pairs:
        p[a][b] += 1.0 / n
    row = [sum(p[i]) for i in range(k)]
    col = [sum(p[i][j] for i in range(k)) for j in range(k)]
    po = sum(p[i][i] for i in range(k))
    pe = sum(row[i] * col[i] for i in range(k))
    if 1 - pe <= 1e-12:
        return math.nan, math.nan
    value = (po - pe) / (1 - pe)
    first = sum(p[i][i] * ((1 - pe) - (col[i] + row[i]) * (1 - po)) ** 2 for i in range(k))
    second = (1 - po) ** 2 * sum(p[i][j] * (col[i] + row[j]) ** 2
                                 for i in range(k) for j in range(k) if i != j)
    third = (po * pe - 2 * pe + po) ** 2
    var = (first + second - third) / (n * (1 - pe) ** 4)
    return value, math.sqrt(max(var, 0.0))


def alpha(units, k):
    o = [[0.0] * k for _ in range(k)]
    for values in units:
        m = len(values)
        if m < 2:
            continue
        for i in range(m):
            for j in range(m):
                if i != j:
                    o[values[i]][values[j]] += 1.0 / (m - 1)
    nc = [sum(o[c]) for c in range(k)]
    n = sum(nc)
    if n <= 1:
        return math.nan
    d_o = sum(o[c][d] for c in range(k) for d in range(k) if c != d) / n
    d_e = sum(nc[c] * nc[d] for c in range(k) for d in range(k) if c != d) / (n * (n - 1))
    if d_e <= 1e-15:
        return math.nan
    return 1 - d_o / d_e


def main():
    lines = sys.stdin.read().split("\n")
    k, r = (int(x) for x in lines[0].split())
    rows = [[int(x) for x in line.split()] for line in lines[1:] if line.strip()]
    out = []
    for a in range(r):
        for b in range(a + 1, r):
            both = [(row[a], row[b]) for row in rows if row[a] >= 0 and row[b] >= 0]
            for c in range(-1, k):
                if c < 0:
                    v, se = kappa(both, k)
                else:
                    v, se = kappa([(int(x == c), int(y == c)) for x, y in both], 2)
                out.append("kappa %d %d %d %.17g %.17g" % (a, b, c, v, se))
    for c in range(-1, k):
        units = [[v if c < 0 else int(v == c) for v in row if v >= 0] for row in rows]
        out.append("alpha %d %.17g" % (c, alpha(units, k if c < 0 else 2)))
    print("\n".join(out))


main()
