#!/usr/bin/env node
// Compiles contracts/ with the pinned solc (require('solc').compile, standard JSON) and writes
// the artifacts defi_int ships: one JSON per shipped contract (ABI, bytecode) plus
// build-info.json (compiler version, settings, sha256 of every source and of them all).
// `node build.js --check` compiles in memory and fails when the committed artifacts differ.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const solc = require('solc');

const ROOT = __dirname;
const OUT = path.join(ROOT, '..', 'defi_int', 'chain', 'artifacts');
// Shipped contracts by source path; each artifact is named after its file. The seven deployed
// contracts, and BatchRead: never deployed, its creation code runs inside `eth_call`
// (defi_int/chain/multiread.py).
const SHIPPED = [
  'CollateralToken.sol',
  'PriceOracle.sol',
  'Vault.sol',
  'VaultModule.sol',
  'PerpAmm.sol',
  'Settlement.sol',
  'DeskShares.sol',
  'utils/BatchRead.sol',
];
const SETTINGS = {
  evmVersion: 'prague',
  viaIR: true,
  optimizer: { enabled: true, runs: 20000 },
  metadata: { bytecodeHash: 'none', appendCBOR: false },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
};
// Contracts compiled with fewer optimizer runs: the Vault's cold half (VaultModule: liquidation,
// parameters) is size over speed, so it stays well under EIP-170's 24,576 bytes.
const RUNS_BY_SOURCE = { 'VaultModule.sol': 200 };

function listSources(dir, rel = '') {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name === 'node_modules') continue;
    const relPath = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) found.push(...listSources(path.join(dir, entry.name), relPath));
    else if (entry.name.endsWith('.sol')) found.push(relPath);
  }
  return found;
}

const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');

function compile(sources, settings) {
  const output = JSON.parse(solc.compile(JSON.stringify({ language: 'Solidity', sources, settings })));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  for (const e of output.errors || []) process.stderr.write(e.formattedMessage + '\n');
  if (errors.length) throw new Error(`solc reported ${errors.length} error(s)`);
  return output;
}

function settingsFor(source) {
  const runs = RUNS_BY_SOURCE[source];
  return runs === undefined ? SETTINGS : { ...SETTINGS, optimizer: { ...SETTINGS.optimizer, runs } };
}

function build() {
  const sources = {};
  for (const rel of listSources(ROOT)) sources[rel] = { content: fs.readFileSync(path.join(ROOT, rel), 'utf8') };
  // One compilation per distinct settings, generating code only for the shipped sources it builds.
  const groups = new Map();
  for (const source of SHIPPED) {
    const key = JSON.stringify(settingsFor(source));
    if (!groups.has(key)) groups.set(key, { settings: settingsFor(source), shipped: [] });
    groups.get(key).shipped.push(source);
  }
  const outputs = new Map();
  for (const [key, group] of groups) {
    const selection = Object.fromEntries(group.shipped.map((s) => [s, SETTINGS.outputSelection['*']]));
    outputs.set(key, compile(sources, { ...group.settings, outputSelection: selection }));
  }
  const files = {};
  for (const source of SHIPPED) {
    const name = path.basename(source, '.sol');
    const unit = outputs.get(JSON.stringify(settingsFor(source))).contracts[source][name];
    files[`${name}.json`] = {
      contractName: name,
      abi: unit.abi,
      bytecode: '0x' + unit.evm.bytecode.object,
      deployedBytecode: '0x' + unit.evm.deployedBytecode.object,
    };
  }
  const sourceHashes = Object.fromEntries(Object.entries(sources).map(([k, v]) => [k, sha256(v.content)]));
  files['build-info.json'] = {
    compiler: { name: 'solc-js', version: solc.version() },
    settings: SETTINGS,
    optimizerRunsBySource: RUNS_BY_SOURCE,
    sources: sourceHashes,
    sourcesSha256: sha256(Object.entries(sourceHashes).map(([k, v]) => `${k}:${v}\n`).join('')),
  };
  return Object.fromEntries(Object.entries(files).map(([k, v]) => [k, JSON.stringify(v, null, 1) + '\n']));
}

function main() {
  const check = process.argv.includes('--check');
  const files = build();
  if (!check) {
    fs.mkdirSync(OUT, { recursive: true });
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(OUT, name), text);
    console.log(`wrote ${Object.keys(files).length} artifacts to ${path.relative(process.cwd(), OUT)} (solc ${solc.version()})`);
    return;
  }
  const stale = [];
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(OUT, name);
    if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) stale.push(name);
  }
  const extra = fs.existsSync(OUT) ? fs.readdirSync(OUT).filter((n) => n.endsWith('.json') && !(n in files)) : [];
  if (stale.length || extra.length) {
    console.error(`contract artifacts do not match contracts/ sources: ${[...stale, ...extra].join(', ')}`);
    console.error('run `make contracts` and commit defi_int/chain/artifacts/');
    process.exit(1);
  }
  console.log(`contract artifacts match the sources (solc ${solc.version()})`);
}

main();
