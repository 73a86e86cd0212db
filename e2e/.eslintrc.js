// bench/ and e2e/ are not workspaces: Backstage's node-library lint rules, with the root package.json's dependencies
module.exports = require('@backstage/cli/config/eslint-factory').createConfigForRole(require('path').resolve(__dirname, '..'), 'node-library');
