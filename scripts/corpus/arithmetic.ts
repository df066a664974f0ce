// The arithmetic sample dataset: short word problems with small whole numbers, one operation or two,
// generated from a few sentence templates with a seeded generator. The answer is the completion, so a
// model learns to read the numbers and the operation off the words.

import { Random } from '../../src/engine/random';

export interface ArithmeticExample {
  prompt: string;
  completion: string;
}

const NAMES = ['Sam', 'Mia', 'Leo', 'Ava', 'Ben', 'Zoe', 'Max', 'Lily', 'Tom', 'Emma', 'Jack', 'Nora', 'Omar', 'Ruby', 'Kai', 'Ella'];
const OBJECTS = ['apples', 'pencils', 'marbles', 'stickers', 'books', 'cookies', 'coins', 'shells', 'cards', 'stamps', 'eggs', 'balloons'];

/** Integer in [lo, hi], both included. */
function int(random: Random, lo: number, hi: number): number {
  return lo + Math.floor(random.next() * (hi - lo + 1));
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random.next() * items.length)];
}

interface Problem {
  question: string;
  answer: number;
}

/**
 * Each template draws its numbers so the answer is a whole number of at least 0, and a number written
 * before a plural noun is at least 2 ("1 apples" would teach bad English).
 */
const TEMPLATES: ReadonlyArray<(random: Random, a: string, b: string, o: string) => Problem> = [
  (r, a, _b, o) => {
    const [x, y] = [int(r, 2, 20), int(r, 1, 20)];
    return { question: `${a} has ${x} ${o} and buys ${y} more. How many ${o} does ${a} have?`, answer: x + y };
  },
  (r, a, b, o) => {
    const x = int(r, 2, 20);
    const y = int(r, 1, x - 1);
    return { question: `${a} has ${x} ${o} and gives ${y} to ${b}. How many ${o} does ${a} have left?`, answer: x - y };
  },
  (r, a, b, o) => {
    const [x, y] = [int(r, 2, 20), int(r, 2, 20)];
    return { question: `${a} has ${x} ${o} and ${b} has ${y} ${o}. How many ${o} do they have together?`, answer: x + y };
  },
  (r, a, b, o) => {
    const y = int(r, 2, 19);
    const x = int(r, y + 1, 20);
    return { question: `${a} has ${x} ${o} and ${b} has ${y} ${o}. How many more ${o} does ${a} have than ${b}?`, answer: x - y };
  },
  (r, a, _b, o) => {
    const [x, y] = [int(r, 2, 9), int(r, 2, 9)];
    return { question: `${a} has ${x} bags with ${y} ${o} in each bag. How many ${o} does ${a} have?`, answer: x * y };
  },
  (r, a, _b, o) => {
    const [y, q] = [int(r, 2, 6), int(r, 1, 9)];
    return { question: `${a} shares ${y * q} ${o} equally among ${y} friends. How many ${o} does each friend get?`, answer: q };
  },
  (r, a, _b, o) => {
    const x = int(r, 3, 20);
    const y = int(r, 1, x - 1);
    const z = int(r, 1, 10);
    return { question: `${a} has ${x} ${o}, loses ${y}, and then finds ${z} more. How many ${o} does ${a} have now?`, answer: x - y + z };
  },
];

/** `count` distinct problems (a repeated question is drawn again), templates in equal measure on average. */
export function buildArithmetic(count: number, seed: number): ArithmeticExample[] {
  const random = new Random(seed);
  const seen = new Set<string>();
  const examples: ArithmeticExample[] = [];
  for (let tries = 0; examples.length < count; tries++) {
    if (tries > 100 * count) throw new Error(`only ${examples.length} distinct problems after ${tries} draws`);
    const template = pick(random, TEMPLATES);
    const a = pick(random, NAMES);
    let b = pick(random, NAMES);
    while (b === a) b = pick(random, NAMES);
    const { question, answer } = template(random, a, b, pick(random, OBJECTS));
    if (seen.has(question)) continue;
    seen.add(question);
    examples.push({ prompt: `Question: ${question}\nAnswer:`, completion: ` ${answer}` });
  }
  return examples;
}
