// Fixtures for the extension-host suites, made by the harness (run.js --scripted-model) before VS Code starts:
// a scripted QED-Nano-style GGUF model (test/fixtures/gguf.ts, compiled to out/test/fixtures/gguf.js by scripts/build.mjs) that
// deterministically "thinks" and "answers" the texts below, and expected.json, which the suites read from
// $QED_TEST_FIXTURES to know what must come back through the model worker.
'use strict';
const fs = require('fs');
const path = require('path');

// Each piece becomes one token of the scripted model, so pieces must be distinct. As a real model does, the thinking
// starts right after the prompt's "<think>\n" and ends with a line break before "</think>" (the Qwen wrapper's
// thought suffix is "\n</think>").
const SCRIPT = {
  thinking: ['Check parity:', ' n^2 - n = n(n-1),', ' a product of two consecutive integers.\n'],
  answer: ['Proof.', ' Write $n^2 - n = n(n-1)$.', ' One of two consecutive integers is even,', ' so the product is even.', ' $\\blacksquare$'],
};

/** Writes the scripted model and expected.json into `dir`; `repo` is the repository root (where out/ is). */
async function makeHostFixtures(dir, repo) {
  const generator = path.join(repo, 'out/test/fixtures/gguf.js');
  if (!fs.existsSync(generator)) throw new Error(`${generator} is missing: build first (node scripts/build.mjs)`);
  const mod = require(generator);
  const write = mod.writeScriptedModel;
  if (typeof write !== 'function') {
    throw new Error(`${generator} does not export writeScriptedModel(path, {thinking: string[], answer: string[]}) (exports: ${Object.keys(mod).join(', ')})`);
  }
  fs.mkdirSync(dir, { recursive: true });
  const modelPath = path.join(dir, 'scripted-qwen3.gguf');
  // opensInThink: like QED-Nano (Qwen3-4B-Thinking-2507's template), the generation prompt already opens "<think>\n",
  // so the reply starts inside the thinking and the model itself emits only "</think>".
  await write(modelPath, { opensInThink: true, thinking: SCRIPT.thinking, answer: SCRIPT.answer });
  const expected = { modelPath, thinking: SCRIPT.thinking.join('').trim(), answer: SCRIPT.answer.join('').trim(), architecture: 'qwen3', gpuType: 'cpu' };
  fs.writeFileSync(path.join(dir, 'expected.json'), JSON.stringify(expected, null, 2) + '\n');
  return expected;
}

module.exports = { makeHostFixtures, SCRIPT };
