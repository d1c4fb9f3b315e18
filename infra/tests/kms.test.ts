import { resourcesOfType } from './cloudformation';
import {
  ACCOUNT,
  ALL_TEMPLATES,
  GROUPS,
  KMS_KEY_ARN,
  REGION,
  ROOT,
  STACK,
  evaluator,
  properties,
  scenario,
  type Group,
} from './fixtures';
import { arnMatches, permissionStatements, type Statement } from './policy';

const setup = GROUPS.setup;
const ROOT_PRINCIPAL = { AWS: `arn:aws:iam::${ACCOUNT}:root` };
/** The path every role that uses the key is created under (IAM paths never change). */
const ROLE_PATH = `/tts-aws-iot/${REGION}/${STACK}/`;
const role = (path: string, name: string) => `arn:aws:iam::${ACCOUNT}:role${path}${name}`;

/** Administration of the key: never a cryptographic operation, never a grant. */
const ADMINISTRATION =
  /^kms:(Create(?!Grant)|Describe|Enable|List|Put|Update|Revoke|Disable|Get|Delete)[A-Za-z]*$|^kms:(ScheduleKeyDeletion|CancelKeyDeletion)$/;
const CRYPTOGRAPHIC =
  /^kms:(Decrypt|Encrypt|GenerateDataKey[A-Za-z]*|ReEncrypt[A-Za-z]*|CreateGrant)$/;

const key = properties(setup, 'Key') as {
  EnableKeyRotation: boolean;
  KeyPolicy: { Statement: Statement[] };
};
const statements = key.KeyPolicy.Statement;
const actions = (statement: Statement) => [statement.Action].flat();

describe("the integration's KMS key", () => {
  it('is a customer-managed key with rotation, kept when the stack is deleted, as the KEK secret is', () => {
    expect(resourcesOfType(setup.json, 'AWS::KMS::Key')).toEqual(['Key']);
    expect(key.EnableKeyRotation).toBe(true);
    const raw = setup.json.Resources['Key'] as {
      DeletionPolicy?: string;
      UpdateReplacePolicy?: string;
    };
    expect(raw.DeletionPolicy).toBe('Retain');
    expect(raw.UpdateReplacePolicy).toBe('Retain');
    expect(evaluator(setup).evaluate(setup.json.Outputs!['KmsKeyArn']!.Value)).toBe(KMS_KEY_ARN);
  });

  it('encrypts both secrets, and every queue of every group (dead letters and registry events)', () => {
    for (const secret of ['KekSecret', 'ApiKeySecret'])
      expect({ secret, key: properties(setup, secret)['KmsKeyId'] }).toEqual({
        secret,
        key: KMS_KEY_ARN,
      });
    let queues = 0;
    for (const group of Object.keys(GROUPS) as Group[]) {
      for (const queue of resourcesOfType(GROUPS[group].json, 'AWS::SQS::Queue')) {
        queues += 1;
        const queueProperties = properties(GROUPS[group], queue);
        expect({ group, queue, key: queueProperties['KmsMasterKeyId'] }).toEqual({
          group,
          queue,
          key: KMS_KEY_ARN,
        });
        expect(queueProperties).not.toHaveProperty('SqsManagedSseEnabled');
      }
    }
    expect(queues).toBe(5);
    const passed = (id: string) =>
      (
        evaluator(ROOT).evaluate(ROOT.json.Resources[id]!.Properties!['Parameters']) as Record<
          string,
          string
        >
      )['KmsKeyArn'];
    expect(passed('Traffic')).toBe('<Setup.Outputs.KmsKeyArn>');
    expect(passed('Registry')).toBe('<Setup.Outputs.KmsKeyArn>');
  });

  it('has a key policy that names no other principal than the account, which may only administer the key', () => {
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      expect(statement.Principal).toEqual(ROOT_PRINCIPAL);
      expect(statement).not.toHaveProperty('NotPrincipal');
      expect(statement).not.toHaveProperty('NotAction');
      const cryptographic = actions(statement).filter((action) => CRYPTOGRAPHIC.test(action));
      if (cryptographic.length === 0) {
        for (const action of actions(statement)) expect(action).toMatch(ADMINISTRATION);
        expect(statement.Condition).toBeUndefined();
      }
    }
    // Administration covers what keeps the key manageable (and rotation on).
    const administration = statements.filter((statement) =>
      actions(statement).every((action) => ADMINISTRATION.test(action)),
    );
    expect(administration).toHaveLength(1);
    expect(actions(administration[0]!)).toEqual(
      expect.arrayContaining([
        'kms:PutKeyPolicy',
        'kms:DescribeKey',
        'kms:ScheduleKeyDeletion',
        'kms:CancelKeyDeletion',
        'kms:EnableKeyRotation',
      ]),
    );
    expect(actions(administration[0]!)).not.toContain('kms:CreateGrant');
  });

  it("lets only the integration's roles decrypt, and only through Secrets Manager and SQS", () => {
    const decrypting = statements.filter((statement) => actions(statement).includes('kms:Decrypt'));
    expect(decrypting).toHaveLength(1);
    const [use] = decrypting;
    expect(actions(use!).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(use!.Condition).toEqual({
      ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role${ROLE_PATH}*` },
      StringEquals: {
        'kms:ViaService': [`secretsmanager.${REGION}.amazonaws.com`, `sqs.${REGION}.amazonaws.com`],
      },
    });
    const pattern = String(use!.Condition!['ArnLike']!['aws:PrincipalArn']);
    expect(arnMatches(pattern, role(ROLE_PATH, `${STACK}-UplinkRole-ABC`))).toBe(true);
    for (const other of [
      role('/', `${STACK}-UplinkRole-ABC`),
      role(`/tts-aws-iot/${REGION}/${STACK}-2/`, 'x'),
      role(`/tts-aws-iot/us-east-1/${STACK}/`, 'x'),
      `arn:aws:iam::${ACCOUNT}:user${ROLE_PATH}x`,
      `arn:aws:iam::210987654321:role${ROLE_PATH}x`,
    ])
      expect({ other, matches: arnMatches(pattern, other) }).toEqual({ other, matches: false });
  });

  it('lets deployers only encrypt the values of this stack’s two secrets, through Secrets Manager', () => {
    const others = statements.filter(
      (statement) =>
        !actions(statement).includes('kms:Decrypt') &&
        actions(statement).some((action) => CRYPTOGRAPHIC.test(action)),
    );
    expect(others).toHaveLength(1);
    expect(actions(others[0]!).sort()).toEqual(['kms:Encrypt', 'kms:GenerateDataKey']);
    expect(others[0]!.Condition).toEqual({
      StringEquals: {
        'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com`,
        'kms:CallerAccount': ACCOUNT,
      },
      StringLike: {
        'kms:EncryptionContext:SecretARN': `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${STACK}/*`,
      },
    });
  });

  it.each(
    ALL_TEMPLATES.filter((template) => template !== ROOT).map(
      (template) => [template.path.split('/').slice(-2, -1)[0]!, template] as const,
    ),
  )(
    "%s: every role that uses the key is under the stack's role path, and The Things Stack's role is not",
    (_, template) => {
      for (const id of resourcesOfType(template.json, 'AWS::IAM::Role')) {
        const roleProperties = properties(template, id, scenario());
        const usesKey = permissionStatements(roleProperties).some((statement) =>
          actions(statement).some((action) => action.startsWith('kms:')),
        );
        const path = roleProperties['Path'];
        if (id === 'TheThingsStackRole') {
          expect({ id, usesKey, path }).toEqual({ id, usesKey: false, path: undefined });
        } else {
          expect({ id, usesKey, path }).toEqual({ id, usesKey: true, path: ROLE_PATH });
          for (const statement of permissionStatements(roleProperties).filter((statement) =>
            actions(statement).some((action) => action.startsWith('kms:')),
          ))
            expect({ id, resource: statement.Resource }).toEqual({ id, resource: KMS_KEY_ARN });
        }
      }
    },
  );
});
