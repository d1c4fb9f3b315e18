module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'claim',
  rootDir: __dirname,
};
