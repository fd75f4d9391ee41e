// The library API on the bundled digits example: load, hash, evaluate, extract, build the
// tropical function, certify and check, all in exact arithmetic. Run it from the repository
// (after `npm install`, which builds dist/) or wherever the package is installed:
//   node examples/api/audit.mjs [points]
import { fileURLToPath } from 'node:url';
import {
  certify,
  check,
  evaluate,
  extract,
  loadDataset,
  loadNetwork,
  networkHash,
  Rational,
  tropical,
} from 'tropcert';

const digits = (f) => fileURLToPath(new URL(`../digits/${f}`, import.meta.url));
const limit = process.argv[2] ?? '20';

const net = await loadNetwork(digits('network.json'));
console.log(`network sha256 ${networkHash(net)}`);

const train = await loadDataset(digits('digits_train.csv'), net, { limit });
const test = await loadDataset(digits('digits_test.csv'), net, { limit });

// One point: exact logits (Rationals), the predicted class, and a decimal view of the winner.
const first = evaluate(net, test.data.inputs[0]);
const top = first.logits[first.prediction];
console.log(`test point 0: class ${first.prediction}, logit ${top} ≈ ${top.toDecimalEstimate(6)}`);
console.log(`a logit is a Rational: ${top instanceof Rational}`);

// TropEx terms on the training points, then the tropical function scored on both sets.
const { terms, stats } = extract(net, train);
console.log(`extracted ${stats.points} points, ${stats.patterns} activation patterns, ${stats.ties} ties`);
const score = tropical(net, terms, test);
console.log(`tropical agreement: train ${score.train.agreement.exact}, test ${score.test.agreement.exact}`);

// Certificates for the training points inside the pixel box [0, 16], re-checked independently.
const { report, summary } = await certify(net, train, { terms, domain: 'box:0,16' });
console.log(`certify summary ${JSON.stringify(summary)}`);
const result = check(report, net, train, { terms });
console.log(`check: ${result.failures.length === 0 ? 'OK' : 'FAILED'} (${result.checked} certificates)`);
if (result.failures.length > 0) process.exitCode = 1;
