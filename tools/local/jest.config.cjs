const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'local',
  rootDir: __dirname,
  // aedes 1 ships ESM only (like middy): let ts-jest turn it into CommonJS too.
  transformIgnorePatterns: ['/node_modules/(?!(@middy|aedes)/)'],
  // The end-to-end suite starts the whole stack; give it room on a shared 2-core machine.
  testTimeout: 60_000,
};
