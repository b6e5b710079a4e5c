// Realistic QED-Nano replies (Markdown with math, in the model's own style), shared by the render tests.
export const REAL: Record<string, string> = {
  induction: `**Proof.** We proceed by induction on $n$. For $n = 1$ the claim reads $1 = \\frac{1 \\cdot 2}{2}$, which is true.

Suppose the claim holds for some $n \\ge 1$. Then
$$
\\sum_{k=1}^{n+1} k = \\frac{n(n+1)}{2} + (n+1) = \\frac{(n+1)(n+2)}{2},
$$
which is the claim for $n+1$. This completes the induction. ∎`,
  cases: `**Proof.** We consider the residue of $n$ modulo $3$.

1. **Case $n \\equiv 0 \\pmod 3$.** Then $n^2 \\equiv 0$.
2. **Case $n \\equiv 1 \\pmod 3$.** Then $n^2 \\equiv 1$.
3. **Case $n \\equiv 2 \\pmod 3$.** Then $n^2 \\equiv 4 \\equiv 1$.

In every case $n^2 \\not\\equiv 2 \\pmod 3$. $\\blacksquare$`,
  align: `*Proof.* By AM-GM,
\\begin{align*}
a^2 + b^2 &\\ge 2ab, \\\\
b^2 + c^2 &\\ge 2bc.
\\end{align*}
Adding these gives the result.`,
  endsInDisplay: `**Proof.** By Cauchy–Schwarz,
$$
(a_1 b_1 + a_2 b_2)^2 \\le (a_1^2 + a_2^2)(b_1^2 + b_2^2).
$$
∎`,
  mixed: `Proof: Let \\(p\\) be a prime with \\(p \\mid a^2\\). Then
\\[
p \\mid a \\cdot a,
\\]
so by Euclid's lemma \\(p \\mid a\\), hence $p^2 \\mid a^2$. □`,
  steps: `## Step 1: Reduction

It suffices to show that $f(x) \\le 0$ for $x \\in [0, 1]$.

## Step 2: The bound

Since $f'(x) = 3x^2 - 3 \\le 0$ on $[0,1]$, $f$ is decreasing, and $f(0) = 0$.`,
  subscripts: `**Proof.** Write $a_{i_1} + a_{i_2} + \\dots + a_{i_k} = S_{k}^{*}$ and note that $x_1 * y_1 * z_1 = x_1 y_1 z_1$ (the * is multiplication).
The indices $i_1 < i_2 < \\dots < i_k$ are in $\\{1, \\dots, n\\}$, and __every__ partial sum $S_j = \\sum_{t \\le j} a_{i_t}$ is positive.`,
  currency: `**Proof.** Each ticket costs $5, so $n$ tickets cost $5n$ dollars in total, and a budget of $100 buys at most $20$ tickets.`,
  nested: `**Proof.** There are two cases.

- If $x \\ge 0$:
  - when $x \\le 1$, we have $x^2 \\le x$;
  - when $x > 1$, we have $x^2 > x$.
- If $x < 0$, then $x^2 > 0 > x$.

In all cases the inequality holds. ∎`,
  code: `**Proof.** A direct check with \`gcd(a_1, a_2)\` confirms the small cases:

\`\`\`python
for n in range(1, 10):
    assert f(n) % 2 == 0  # $n$ even
\`\`\`

For $n \\ge 10$ we use the recurrence $f_{n+1} = 2 f_n$.`,
  quoteClaim: `**Proof.** We first prove a claim.

> **Claim.** For every $k \\ge 1$, $2^k > k$.
>
> This follows from $2^k = (1+1)^k \\ge 1 + k$.

Applying the claim with $k = n$ finishes the proof. Q.E.D.`,
  continued: `**Proof.** The remaining cases are:

3. $n = 3$, where $3! = 6$;
4. $n = 4$, where $4! = 24$.

Both are checked directly.`,
  proseLatex: `**Proof.** By Lemma \\ref{lem:key}, the map is \\emph{injective}, so |A| \\le |B| and 50% of the elements are fixed. See https://example.org/notes for details.`,
};
