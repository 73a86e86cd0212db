#!/usr/bin/env node
// `npm run bench`: benchmarks that print ratios against a baseline measured in the same run.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
require('@backstage/cli/config/nodeTransform.cjs');
require('../bench/run.ts');
