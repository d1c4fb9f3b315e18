const path = require('node:path');
const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'soak',
  rootDir: __dirname,
  // aedes 1 ships ESM only (like middy): let ts-jest turn it into CommonJS too.
  transformIgnorePatterns: ['/node_modules/(?!(@middy|aedes)/)'],
  moduleNameMapper: {
    // tools/local's modules, by file (tsconfig.base.json maps `@tts-aws-iot/local/*`).
    '^@tts-aws-iot/local/(.*)$': path.join(__dirname, '../local/src/$1'),
    ...preset.moduleNameMapper,
  },
  // The short soak starts the whole stack and runs about 20 s of traffic on a shared machine.
  testTimeout: 240_000,
};
