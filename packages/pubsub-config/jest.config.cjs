module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'pubsub-config',
  rootDir: __dirname,
};
