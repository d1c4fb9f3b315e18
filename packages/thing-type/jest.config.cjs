module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'thing-type',
  rootDir: __dirname,
};
