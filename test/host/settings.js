// User settings for test runs, shared by the offline harness (run.js) and the desktop runner (electron.ts):
// a quiet, deterministic workbench (no welcome page, walkthroughs, trust prompt, telemetry, updates or AI features)
// and the model on the CPU with one thread.
'use strict';

const WORKBENCH_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'git.enabled': false,
  'npm.autoDetect': 'off',
  'typescript.disableAutomaticTypeAcquisition': true,
  'window.commandCenter': false,
};

// The scripted fixture's context is 4,096 tokens: a cycle budget that fits it.
const MODEL_SETTINGS = { 'qedNano.gpu': 'off', 'qedNano.threads': 1, 'qedNano.maxTokensPerCycle': 512 };

module.exports = { WORKBENCH_SETTINGS, MODEL_SETTINGS };
