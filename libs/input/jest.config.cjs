module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'input',
  rootDir: __dirname,
  collectCoverage: true,
  collectCoverageFrom: ['src/**/*.ts'],
  coverageThreshold: { global: { lines: 100 } },
};
