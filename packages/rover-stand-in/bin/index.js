// The library for plain Node scripts (scripts/*.mjs): registers Backstage's
// Node transform, then loads the TypeScript source. Named exports one by one,
// so an ES module can `import { startRoverStandIn } from '.../bin/index.js'`.
require('@backstage/cli/config/nodeTransform.cjs');
const lib = require('../src/index.ts');

exports.startRoverStandIn = lib.startRoverStandIn;
exports.parseShopLine = lib.parseShopLine;
