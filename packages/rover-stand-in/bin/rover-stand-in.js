#!/usr/bin/env node
// The stand-in for SkyWalking Rover's CLI. Runs the TypeScript source through
// Backstage's Node transform (no build step).
require('@backstage/cli/config/nodeTransform.cjs');
require('../src/cli.ts').main(process.argv.slice(2));
