module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'tts',
  rootDir: __dirname,
};
