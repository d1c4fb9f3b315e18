import { containerScoped } from '../src';

describe('containerScoped', () => {
  it('builds at the first use, not before, and then answers the same value', () => {
    const build = jest.fn(() => ({ clients: 1 }));
    const dependencies = containerScoped(build);
    expect(build).not.toHaveBeenCalled();
    const first = dependencies();
    expect(dependencies()).toBe(first);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('keeps no failed build: every use fails until one succeeds', () => {
    let attempt = 0;
    const dependencies = containerScoped(() => {
      attempt += 1;
      if (attempt < 3) throw new Error(`invalid configuration (attempt ${attempt})`);
      return attempt;
    });
    expect(dependencies).toThrow('attempt 1');
    expect(dependencies).toThrow('attempt 2');
    expect(dependencies()).toBe(3);
    expect(dependencies()).toBe(3);
  });

  it('keeps a value that is undefined', () => {
    const build = jest.fn(() => undefined);
    const value = containerScoped(build);
    value();
    value();
    expect(build).toHaveBeenCalledTimes(1);
  });
});
