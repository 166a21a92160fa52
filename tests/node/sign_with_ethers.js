#!/usr/bin/env node
// Signs an EIP-712 payload with ethers v6, outside Python, for the cross-language signature tests.
//
// stdin:  {"privateKey": "0x...", "domain": {...}, "types": {...}, "message": {...}}
//         (`types` may hold EIP712Domain, as in eth_signTypedData_v4; ethers wants it left out.
//          Integers may be decimal strings, so that uint128/uint256 survive JSON.)
// stdout: {"signer": "0x...", "signature": "0x<65 bytes r|s|v>", "digest": "0x<32 bytes>"}
//
// ethers is resolved from contracts/node_modules of this checkout (`npm ci` in contracts/).
"use strict";

const fs = require("fs");
const path = require("path");

const repoRoot = path.resolve(__dirname, "..", "..");
const { Wallet, TypedDataEncoder } = require(require.resolve("ethers", { paths: [path.join(repoRoot, "contracts")] }));

async function main() {
  const { privateKey, domain, types, message } = JSON.parse(fs.readFileSync(0, "utf8"));
  const structTypes = { ...types };
  delete structTypes.EIP712Domain;
  const wallet = new Wallet(privateKey);
  const signature = await wallet.signTypedData(domain, structTypes, message);
  const digest = TypedDataEncoder.hash(domain, structTypes, message);
  process.stdout.write(`${JSON.stringify({ signer: wallet.address, signature, digest })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
