// LP oracles: the same table of LPs against glpk and jslp, then what only glpk gives (row duals),
// including the "maximise the smallest slack" LP from which certification reads Farkas multipliers.
import test from 'ava';
import { createGlpkOracle } from '../src/lp/glpk.ts';
import {
  createOracle,
  type LinearProgram,
  type LpAnswer,
  type LpOracle,
  type SolverName,
} from '../src/lp/index.ts';
import { createJslpOracle, JSLP_MAX_ROWS, JSLP_MAX_VARIABLES } from '../src/lp/jslp.ts';

const oracles: Record<SolverName, Promise<LpOracle>> = {
  glpk: createOracle('glpk'),
  jslp: createOracle('jslp'),
};
const SOLVERS: readonly SolverName[] = ['glpk', 'jslp'];

type Expected =
  | { readonly status: 'optimal'; readonly value: number; readonly x: readonly number[] }
  | { readonly status: 'infeasible' | 'unbounded' | 'failed' };

interface Case {
  readonly name: string;
  readonly lp: LinearProgram;
  readonly expected: Expected;
}

const FREE = {};
const NONNEG = { lower: 0 };

// max x + y  s.t. x + 2y ≤ 4, −3x − y ≥ −6: optimum (1.6, 1.2), value 2.8.
const smallMax = (variables: LinearProgram['variables']): LinearProgram => ({
  sense: 'max',
  objective: [1, 1],
  variables,
  rows: [
    { indices: [0, 1], coefs: [1, 2], upper: 4 },
    { indices: [0, 1], coefs: [-3, -1], lower: -6 },
  ],
});

// min x + 2y  s.t. x + y ≥ −5, −x + y ≥ −1 (x, y free): optimum (−2, −3), value −8.
const freeMin: LinearProgram = {
  sense: 'min',
  objective: [1, 2],
  variables: [FREE, FREE],
  rows: [
    { indices: [0, 1], coefs: [1, 1], lower: -5 },
    { indices: [0, 1], coefs: [-1, 1], lower: -1 },
  ],
};

/** The certification LP: max t over d ∈ ℝ^n free, t ≤ 1, rows a_k·d − t ≥ 0. Variable n is t. */
function slackLp(a: readonly (readonly number[])[]): LinearProgram {
  const n = a[0]!.length;
  return {
    sense: 'max',
    objective: [...Array<number>(n).fill(0), 1],
    variables: [...Array.from({ length: n }, () => FREE), { upper: 1 }],
    rows: a.map((ak) => ({ indices: [...ak.keys(), n], coefs: [...ak, -1], lower: 0 })),
  };
}

const cases: readonly Case[] = [
  {
    name: 'small max LP over x ≥ 0',
    lp: smallMax([NONNEG, NONNEG]),
    expected: { status: 'optimal', value: 2.8, x: [1.6, 1.2] },
  },
  {
    name: 'free variables, negative optimum',
    lp: freeMin,
    expected: { status: 'optimal', value: -8, x: [-2, -3] },
  },
  {
    // x, y ≥ 0; z ∈ [−1, 2]; w = 0.5 fixed; v ≤ 4. Rows: equality, ≤, and a ranged row.
    name: 'equality rows and every bound type',
    lp: {
      sense: 'max',
      objective: [2, 1, -1, 0, 1],
      variables: [NONNEG, NONNEG, { lower: -1, upper: 2 }, { lower: 0.5, upper: 0.5 }, { upper: 4 }],
      rows: [
        { indices: [0, 1, 3], coefs: [1, 1, 1], lower: 3.5, upper: 3.5 },
        { indices: [0, 1], coefs: [1, -1], upper: 1 },
        { indices: [4, 2], coefs: [1, 1], lower: -5, upper: 3 },
      ],
    },
    expected: { status: 'optimal', value: 10, x: [2, 1, -1, 0.5, 4] },
  },
  {
    name: 'equalities over free variables',
    lp: {
      sense: 'min',
      objective: [1, 1, 1],
      variables: [FREE, FREE, NONNEG],
      rows: [
        { indices: [0, 1], coefs: [1, 1], lower: -3, upper: -3 },
        { indices: [0, 1, 2], coefs: [1, -1, 1], lower: 1, upper: 1 },
      ],
    },
    // z = 1 − x + y and x + y = −3: objective −3 + z, minimised at z = 0, x = −1, y = −2.
    expected: { status: 'optimal', value: -3, x: [-1, -2, 0] },
  },
  {
    name: 'duplicate indices in a row are summed',
    lp: {
      sense: 'max',
      objective: [1],
      variables: [FREE],
      rows: [{ indices: [0, 0], coefs: [1, 1], upper: 2 }],
    },
    expected: { status: 'optimal', value: 1, x: [1] },
  },
  {
    name: 'infeasible LP',
    lp: {
      sense: 'max',
      objective: [1, 1],
      variables: [NONNEG, NONNEG],
      rows: [
        { indices: [0, 1], coefs: [1, 1], upper: 1 },
        { indices: [0, 1], coefs: [1, 1], lower: 2 },
      ],
    },
    expected: { status: 'infeasible' },
  },
  {
    name: 'infeasible equalities over a free variable',
    lp: {
      sense: 'min',
      objective: [0],
      variables: [FREE],
      rows: [
        { indices: [0], coefs: [1], lower: 1, upper: 1 },
        { indices: [0], coefs: [2], lower: 3, upper: 3 },
      ],
    },
    expected: { status: 'infeasible' },
  },
  {
    name: 'empty bound interval',
    lp: { sense: 'max', objective: [1], variables: [{ lower: 1, upper: 0 }], rows: [] },
    expected: { status: 'infeasible' },
  },
  {
    name: 'unbounded LP',
    lp: {
      sense: 'max',
      objective: [1, 1],
      variables: [NONNEG, NONNEG],
      rows: [{ indices: [0, 1], coefs: [1, -1], upper: 1 }],
    },
    expected: { status: 'unbounded' },
  },
  {
    name: 'unbounded below over a free variable',
    lp: { sense: 'min', objective: [1], variables: [FREE], rows: [{ indices: [0], coefs: [1], upper: 5 }] },
    expected: { status: 'unbounded' },
  },
  {
    name: 'no variables, violated empty row',
    lp: { sense: 'max', objective: [], variables: [], rows: [{ indices: [], coefs: [], upper: -1 }] },
    expected: { status: 'infeasible' },
  },
  {
    name: 'NaN coefficient is refused',
    lp: {
      sense: 'max',
      objective: [1],
      variables: [NONNEG],
      rows: [{ indices: [0], coefs: [Number.NaN], upper: 1 }],
    },
    expected: { status: 'failed' },
  },
  {
    name: 'index out of range is refused',
    lp: { sense: 'max', objective: [1], variables: [NONNEG], rows: [{ indices: [1], coefs: [1], upper: 1 }] },
    expected: { status: 'failed' },
  },
  {
    name: 'objective length mismatch is refused',
    lp: { sense: 'max', objective: [1, 1], variables: [NONNEG], rows: [] },
    expected: { status: 'failed' },
  },
  {
    // (a) d = (2, 1) makes every row positive, so the smallest slack reaches its cap t = 1.
    name: 'smallest-slack LP, strictly feasible system: t* = 1',
    lp: slackLp([
      [1, 0],
      [0, 1],
      [1, 1],
      [1, -1],
    ]),
    expected: { status: 'optimal', value: 1, x: [] },
  },
  {
    // (b) {d1 > 0, −d1 > 0} has no solution: the best smallest slack is 0.
    name: 'smallest-slack LP, {d1 > 0, −d1 > 0}: t* = 0',
    lp: slackLp([[1], [-1]]),
    expected: { status: 'optimal', value: 0, x: [] },
  },
];

const TOL = 1e-7;

type T = import('ava').ExecutionContext;

/** Asserts |got − want| ≤ tol with a readable message. */
function near(t: T, got: number, want: number, tol: number, label: string) {
  t.true(Math.abs(got - want) <= tol, `${label} = ${got}, expected ${want} ± ${tol}`);
}

function checkAnswer(t: T, got: LpAnswer, expected: Expected, lp: LinearProgram) {
  t.is(got.status, expected.status, JSON.stringify(got));
  if (got.status !== 'optimal' || expected.status !== 'optimal') return;
  near(t, got.value, expected.value, TOL, 'value');
  t.is(got.x.length, lp.variables.length);
  // An empty expected x means "not unique": check the point is feasible instead.
  for (const [j, xj] of expected.x.entries()) near(t, got.x[j]!, xj, TOL, `x[${j}]`);
  for (const [k, row] of lp.rows.entries()) {
    const ax = row.indices.reduce((s, j, e) => s + row.coefs[e]! * got.x[j]!, 0);
    t.true(ax >= (row.lower ?? -Infinity) - TOL && ax <= (row.upper ?? Infinity) + TOL, `row ${k}: ${ax}`);
  }
}

for (const c of cases) {
  for (const solver of SOLVERS) {
    test(`${solver}: ${c.name}`, async (t) => {
      const oracle = await oracles[solver];
      checkAnswer(t, oracle.solve(c.lp), c.expected, c.lp);
    });
  }
}

/** Σ_k λ_k a_k, the row-dual combination of the constraint columns. */
function dualCombination(lp: LinearProgram, duals: readonly number[]): number[] {
  const out = Array<number>(lp.variables.length).fill(0);
  for (const [k, row] of lp.rows.entries()) {
    for (const [e, j] of row.indices.entries()) out[j]! += duals[k]! * row.coefs[e]!;
  }
  return out;
}

async function glpkOptimal(lp: LinearProgram) {
  const answer = (await oracles.glpk).solve(lp);
  if (answer.status !== 'optimal') throw new Error(`expected optimal, got ${JSON.stringify(answer)}`);
  return answer;
}

// GLPK's row dual λ_k = ∂z*/∂b_k, so c = Σ λ_k a_k (+ reduced costs, zero for free columns) in
// both senses: for 'max' a binding ≤ row has λ ≥ 0 and a binding ≥ row λ ≤ 0; for 'min' the reverse.
const dualCases: readonly { name: string; lp: LinearProgram; duals: readonly number[] }[] = [
  // (1, 1) = 0.4·(1, 2) − 0.2·(−3, −1)
  { name: "'max': ≤ row λ ≥ 0, ≥ row λ ≤ 0", lp: smallMax([FREE, FREE]), duals: [0.4, -0.2] },
  // The same LP as min −x − y: every dual changes sign.
  {
    name: "'min' of the negated objective: signs flip",
    lp: { ...smallMax([FREE, FREE]), sense: 'min', objective: [-1, -1] },
    duals: [-0.4, 0.2],
  },
  // (1, 2) = 1.5·(1, 1) + 0.5·(−1, 1)
  { name: "'min': ≥ rows λ ≥ 0", lp: freeMin, duals: [1.5, 0.5] },
];

for (const c of dualCases) {
  test(`glpk duals, ${c.name}; Σ λ_k a_k = c`, async (t) => {
    const answer = await glpkOptimal(c.lp);
    t.is(answer.duals.length, c.lp.rows.length);
    for (const [k, d] of c.duals.entries()) near(t, answer.duals[k]!, d, 1e-9, `λ${k}`);
    for (const [j, v] of dualCombination(c.lp, answer.duals).entries())
      near(t, v, c.lp.objective[j]!, 1e-9, `(Σ λ_k a_k)_${j}`);
  });
}

/** A deterministic pseudo-random stream in [−1, 1) (Park–Miller), so failures reproduce. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return (2 * s) / 2147483647 - 1;
  };
}

test('glpk duals: Σ λ_k a_k = c on random bounded LPs over free variables', async (t) => {
  const rnd = lcg(12345);
  for (let trial = 0; trial < 20; trial++) {
    const n = 6;
    // A box |x_j| ≤ 10 as rows (so it has duals) plus random cuts keeps the LP bounded and feasible.
    const rows = [
      ...Array.from({ length: n }, (_, j) => ({ indices: [j], coefs: [1], lower: -10, upper: 10 })),
      ...Array.from({ length: 8 }, () => ({
        indices: [...Array(n).keys()],
        coefs: Array.from({ length: n }, rnd),
        upper: 1 + Math.abs(rnd()),
      })),
    ];
    const lp: LinearProgram = {
      sense: trial % 2 === 0 ? 'max' : 'min',
      objective: Array.from({ length: n }, rnd),
      variables: Array.from({ length: n }, () => FREE),
      rows,
    };
    const answer = await glpkOptimal(lp);
    for (const [j, v] of dualCombination(lp, answer.duals).entries())
      near(t, v, lp.objective[j]!, 1e-9, `trial ${trial}: (Σ λ_k a_k)_${j}`);
  }
});

/**
 * Farkas multipliers from the smallest-slack LP (sense 'max', rows a_k·d − t ≥ 0, t ≤ 1).
 * The rows are ≥ rows of a max problem, so GLPK's duals are λ_k ≤ 0; the multipliers are
 * μ_k = −λ_k ≥ 0. Stationarity for the free d gives Σ μ_k a_k = 0; for t (strictly below its cap
 * when t* ≤ 0, hence zero reduced cost) it gives Σ μ_k = 1.
 */
function checkFarkas(t: T, a: readonly (readonly number[])[], duals: readonly number[]) {
  t.is(duals.length, a.length);
  const mu = duals.map((l) => -l);
  for (const [k, m] of mu.entries()) t.true(m >= -1e-12, `μ${k} = ${m} < 0`);
  near(
    t,
    mu.reduce((s, m) => s + m, 0),
    1,
    1e-9,
    'Σ μ_k',
  );
  for (let j = 0; j < a[0]!.length; j++)
    near(
      t,
      a.reduce((acc, ak, k) => acc + mu[k]! * ak[j]!, 0),
      0,
      1e-9,
      `(Σ μ_k a_k)_${j}`,
    );
  return mu;
}

test('glpk smallest-slack LP, {d1 > 0, −d1 > 0}: multipliers μ = −λ = (1/2, 1/2)', async (t) => {
  const a = [[1], [-1]];
  const answer = await glpkOptimal(slackLp(a));
  near(t, answer.value, 0, 1e-9, 't*');
  const mu = checkFarkas(t, a, answer.duals);
  for (const [k, m] of mu.entries()) near(t, m, 1 / 2, 1e-9, `μ${k}`);
});

test('glpk smallest-slack LP, {d1 > 0, d2 > 0, −d1 − d2 > 0}: μ = (1/3, 1/3, 1/3)', async (t) => {
  const a = [
    [1, 0],
    [0, 1],
    [-1, -1],
  ];
  const answer = await glpkOptimal(slackLp(a));
  near(t, answer.value, 0, 1e-9, 't*');
  const mu = checkFarkas(t, a, answer.duals);
  for (const [k, m] of mu.entries()) near(t, m, 1 / 3, 1e-9, `μ${k}`);
});

test('glpk smallest-slack LP, random infeasible strict systems: Farkas identities', async (t) => {
  const rnd = lcg(777);
  for (let trial = 0; trial < 20; trial++) {
    const n = 4;
    // Rows a_1..a_5 random and a_6 = −Σ w_k a_k with w > 0: then Σ w_k a_k + a_6 = 0, so no d
    // makes all six positive. Two more random rows may or may not join the certificate.
    const base = Array.from({ length: 5 }, () => Array.from({ length: n }, rnd));
    const w = base.map(() => 0.1 + Math.abs(rnd()));
    const closing = Array.from({ length: n }, (_, j) => -base.reduce((s, ak, k) => s + w[k]! * ak[j]!, 0));
    const a = [...base, closing, ...Array.from({ length: 2 }, () => Array.from({ length: n }, rnd))];
    const answer = await glpkOptimal(slackLp(a));
    near(t, answer.value, 0, 1e-9, `trial ${trial}: t*`);
    checkFarkas(t, a, answer.duals);
  }
});

test('glpk smallest-slack LP, strictly feasible system: the optimum d has every slack ≥ 1', async (t) => {
  const a = [
    [1, 0],
    [0, 1],
    [1, 1],
    [1, -1],
  ];
  const answer = await glpkOptimal(slackLp(a));
  near(t, answer.value, 1, 1e-9, 't*');
  for (const ak of a) t.true(ak[0]! * answer.x[0]! + ak[1]! * answer.x[1]! >= 1 - 1e-9);
});

test('jslp returns no duals; oracle names and factories', async (t) => {
  const answer = createJslpOracle().solve(freeMin);
  t.is(answer.status, 'optimal');
  if (answer.status === 'optimal') t.deepEqual(answer.duals, []);
  t.is((await oracles.glpk).name, 'glpk');
  t.is((await oracles.jslp).name, 'jslp');
});

test('glpk time limit: accepted when positive, refused otherwise', async (t) => {
  const oracle = await createGlpkOracle({ timeLimitSeconds: 5 });
  checkAnswer(t, oracle.solve(freeMin), { status: 'optimal', value: -8, x: [-2, -3] }, freeMin);
  await t.throwsAsync(createGlpkOracle({ timeLimitSeconds: 0 }), { instanceOf: RangeError });
  await t.throwsAsync(createGlpkOracle({ timeLimitSeconds: Number.NaN }), { instanceOf: RangeError });
});

test('glpk: a solve cut short by the time limit is failed, never infeasible', async (t) => {
  // A feasible dense LP (x = 1 satisfies every row) whose origin is not feasible, so the simplex
  // starts in phase 1; a full solve takes ~250 ms here. Stopped after 1 ms, GLPK reports
  // GLP_INFEAS ("the current basis is infeasible"), which must not be read as "no solution".
  const rnd = lcg(4242);
  const n = 150;
  const rows = Array.from({ length: 300 }, () => {
    const coefs = Array.from({ length: n }, () => Math.abs(rnd()));
    const sum = coefs.reduce((s, a) => s + a, 0);
    return { indices: [...Array(n).keys()], coefs, lower: sum - 1, upper: sum + 1 };
  });
  const lp: LinearProgram = {
    sense: 'max',
    objective: Array.from({ length: n }, rnd),
    variables: Array.from({ length: n }, () => ({ lower: 0, upper: 2 })),
    rows,
  };
  const oracle = await createGlpkOracle({ timeLimitSeconds: 0.001 });
  t.is(oracle.solve(lp).status, 'failed');
});

test('jslp refuses LPs above its size limits with `failed` (the caller moves on), and still solves one at the limit', (t) => {
  const lp = (n: number, m: number): LinearProgram => ({
    sense: 'max',
    objective: Array.from({ length: n }, () => 1),
    variables: Array.from({ length: n }, () => ({ lower: 0, upper: 1 })),
    rows: Array.from({ length: m }, (_, k) => ({ indices: [k % n], coefs: [1], upper: 1 })),
  });
  const oracle = createJslpOracle();
  const big = oracle.solve(lp(JSLP_MAX_VARIABLES + 1, 1));
  t.is(big.status, 'failed');
  if (big.status === 'failed')
    t.regex(big.reason, /too large for javascript-lp-solver \(65 variables, 1 rows/);
  t.is(oracle.solve(lp(2, JSLP_MAX_ROWS + 1)).status, 'failed');
  const atLimit = oracle.solve(lp(JSLP_MAX_VARIABLES, JSLP_MAX_ROWS));
  t.is(atLimit.status, 'optimal');
  if (atLimit.status === 'optimal') t.true(Math.abs(atLimit.value - JSLP_MAX_VARIABLES) < 1e-9);
});
