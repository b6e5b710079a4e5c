// node-llama-cpp bundled (scripts/build.mjs: dist/node-llama-cpp.mjs and dist/testBindingBinary.mjs), through the real
// worker and a generated GGUF, in an installation laid out as the .vsix lays it out: the worker's files in dist/, and
// in node_modules only node-llama-cpp's few run-time files and the prebuilt packages (links to the repository's).
// It must load and generate there, and still test a prebuilt binary in a child process forked from its own file
// before loading it (node-llama-cpp skips that test, with a warning, when its module file is not its own).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NODE_LLAMA_CPP_FILES } from '../../../scripts/platforms.mjs';
import { writeScriptedModel } from '../../fixtures/gguf';
import { ANSWER, EXPECTED_TEXT, THINKING, WORKER_FILES, WORKER_PATH, assertWorkerBuilt, loadRequest, makeClient, userRequest } from './helpers';

const REPO_MODULES = path.resolve(path.dirname(WORKER_PATH), '..', 'node_modules');

// Preloaded into the worker (NODE_OPTIONS): appends the module path of every child_process.fork to a file.
const RECORD_FORKS = `const cp = require('node:child_process');
const fs = require('node:fs');
const fork = cp.fork;
cp.fork = function (modulePath, ...rest) { fs.appendFileSync(process.env.QED_TEST_FORK_LOG, modulePath + '\\n'); return fork.call(this, modulePath, ...rest); };
require('node:module').syncBuiltinESMExports();
`;

describe('model/worker: node-llama-cpp bundled, installed as the .vsix installs it', function () {
  this.timeout(120_000);
  let dir: string;
  let model: string;
  let workerPath: string;

  before(() => {
    assertWorkerBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-nano-bundle-'));
    model = path.join(dir, 'scripted.gguf');
    writeScriptedModel(model, { thinking: THINKING, answer: ANSWER });
    const root = path.join(dir, 'extension');
    fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
    for (const f of WORKER_FILES) fs.copyFileSync(path.join(path.dirname(WORKER_PATH), f), path.join(root, 'dist', f));
    for (const f of NODE_LLAMA_CPP_FILES) {
      fs.mkdirSync(path.dirname(path.join(root, 'node_modules', 'node-llama-cpp', f)), { recursive: true });
      fs.copyFileSync(path.join(REPO_MODULES, 'node-llama-cpp', f), path.join(root, 'node_modules', 'node-llama-cpp', f));
    }
    fs.symlinkSync(path.join(REPO_MODULES, '@node-llama-cpp'), path.join(root, 'node_modules', '@node-llama-cpp'));
    workerPath = path.join(root, 'dist', 'worker.mjs');
    fs.writeFileSync(path.join(dir, 'record-forks.cjs'), RECORD_FORKS);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads and generates with none of node-llama-cpp\'s JavaScript in node_modules; on Linux the binary is first tested from dist/testBindingBinary.mjs', async () => {
    const forkLog = path.join(dir, 'forks.log');
    const { client, logs } = makeClient({
      workerPath,
      env: { ...process.env, NODE_OPTIONS: `--require ${path.join(dir, 'record-forks.cjs')}`, QED_TEST_FORK_LOG: forkLog },
    });
    try {
      const info = await client.ensureLoaded(loadRequest(model));
      assert.equal(info.architecture, 'qwen3');
      const r = await client.generate(userRequest('What is 2+2?', 200));
      assert.equal(r.text, EXPECTED_TEXT);
    } finally {
      await client.dispose();
    }
    assert.ok(!logs.some(l => /not independent/.test(l)), logs.join('\n'));
    const forks = fs.existsSync(forkLog) ? fs.readFileSync(forkLog, 'utf8').split('\n').filter(Boolean) : [];
    // node-llama-cpp tests a prebuilt binary before loading it on Linux (on Windows only GPU builds; never on macOS)
    if (process.platform !== 'linux') return;
    assert.ok(forks.length > 0, 'node-llama-cpp did not test the binary in a child process');
    for (const f of forks) assert.equal(path.resolve(f), path.join(path.dirname(workerPath), 'testBindingBinary.mjs'));
  });
});
