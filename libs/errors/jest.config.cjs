module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'errors',
  rootDir: __dirname,
  collectCoverage: true,
  collectCoverageFrom: ['src/**/*.ts'],
  coverageThreshold: { global: { lines: 100 } },
};
