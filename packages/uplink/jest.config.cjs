module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'uplink',
  rootDir: __dirname,
};
