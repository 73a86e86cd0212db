#!/usr/bin/env node
// The OAP TEST DOUBLE's CLI. Runs the TypeScript source through Backstage's
// Node transform (no build step).
require('@backstage/cli/config/nodeTransform.cjs');

process.env.OAP_DOUBLE_CLI = '1';
require('../src/cli.ts');
