import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

import { describeWithCommand } from '@tts-aws-iot/test-kit';
import { parse } from 'yaml';

import { CFN_LINT, cfnLint } from './cfn-lint';

const INFRA = resolve(__dirname, '..');

/** Every template.yaml under infra/, relative to it. */
function templatesOnDisk(folder = INFRA): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'tests' ? [] : templatesOnDisk(path);
    return entry.name === 'template.yaml' ? [relative(INFRA, path)] : [];
  });
}

describeWithCommand('cfn-lint', CFN_LINT, () => {
  it('finds nothing in any template, in any supported region, beyond what .cfnlintrc.yaml justifies', () => {
    // No arguments: the templates, regions and checks all come from infra/.cfnlintrc.yaml.
    expect(cfnLint([], INFRA)).toEqual({ status: 0, output: '' });
  }, 120_000);

  it('is configured to lint every template in infra/', () => {
    const config = parse(readFileSync(join(INFRA, '.cfnlintrc.yaml'), 'utf8')) as {
      templates: string[];
    };
    expect([...config.templates].sort()).toEqual(templatesOnDisk().sort());
  });

  it('reports a broken template, so a silent linter cannot pass', () => {
    const folder = mkdtempSync(join(tmpdir(), 'cfn-lint-'));
    try {
      writeFileSync(
        join(folder, 'broken.yaml'),
        [
          'Transform: AWS::Serverless-2016-10-31',
          'Resources:',
          '  Function:',
          '    Type: AWS::Serverless::Function',
          '    Properties: { CodeUri: ., Handler: index.handler, Runtime: nodejs99.x }',
        ].join('\n'),
      );
      const { status, output } = cfnLint(['--regions', 'us-east-1', '--', 'broken.yaml'], folder);
      expect(status).not.toBe(0);
      expect(output).toContain('nodejs99.x');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }, 120_000);
});
