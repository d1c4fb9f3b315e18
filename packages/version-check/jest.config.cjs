module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'version-check',
  rootDir: __dirname,
};
