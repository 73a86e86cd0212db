#!/usr/bin/env node
// Runs the TypeScript CLI through Backstage's Node transform (no build step).
require('@backstage/cli/config/nodeTransform.cjs');
require('../src/cli.ts');
