module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'create-device',
  rootDir: __dirname,
};
