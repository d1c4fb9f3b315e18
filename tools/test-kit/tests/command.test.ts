import { commandAvailable, type ExternalCommand } from '../src';

const tool = (probe: ExternalCommand['probe']): ExternalCommand => ({
  name: 'a tool',
  probe,
  install: 'install it',
});

describe('commandAvailable', () => {
  it('finds a tool whose probe exits 0', () => {
    expect(commandAvailable(tool([process.execPath, '-e', 'process.exit(0)']))).toBe(true);
  });

  it('does not find a tool whose probe fails, or that is not installed', () => {
    expect(commandAvailable(tool([process.execPath, '-e', 'process.exit(3)']))).toBe(false);
    expect(commandAvailable(tool(['tts-aws-iot-no-such-command']))).toBe(false);
  });
});
