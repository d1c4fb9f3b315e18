module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'tts-sim',
  rootDir: __dirname,
};
