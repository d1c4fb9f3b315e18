module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'downlink',
  rootDir: __dirname,
};
