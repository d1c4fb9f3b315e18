module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'formatters',
  rootDir: __dirname,
};
