// Fixtures for the extension-host suites, made by the harness (run.js --scripted-model) before VS Code starts:
// a scripted GGUF model (test/fixtures/gguf.ts, compiled to out/test/fixtures/gguf.js by scripts/build.mjs) that
// deterministically "thinks" and "answers" the texts below, and expected.json, which the suites read from
// $QED_TEST_FIXTURES to know what must come back through the model worker.
'use strict';
const fs = require('fs');
const path = require('path');

// Each piece becomes one token of the scripted model, so pieces must be distinct.
const SCRIPT = {
  thinking: ['Check parity:', ' n^2 - n = n(n-1),', ' a product of two consecutive integers.'],
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
  // Qwen3 writes "<think>\n…\n</think>\n\n…", and node-llama-cpp's Qwen chat wrapper recognises the thought only by
  // that "<think>\n" prefix: add the newlines unless the generator's script already has them.
  const script = typeof mod.thinkingScript === 'function' ? mod.thinkingScript({ thinking: [], answer: [] }) : [];
  // (Script items must be distinct tokens, so the closing newline joins the last piece.)
  const thinking = script[1] === '\n' ? SCRIPT.thinking
    : ['\n', ...SCRIPT.thinking.slice(0, -1), `${SCRIPT.thinking[SCRIPT.thinking.length - 1]}\n`];
  await write(modelPath, { thinking, answer: SCRIPT.answer });
  const expected = { modelPath, thinking: SCRIPT.thinking.join(''), answer: SCRIPT.answer.join(''), architecture: 'qwen3', gpuType: 'cpu' };
  fs.writeFileSync(path.join(dir, 'expected.json'), JSON.stringify(expected, null, 2) + '\n');
  return expected;
}

module.exports = { makeHostFixtures, SCRIPT };
