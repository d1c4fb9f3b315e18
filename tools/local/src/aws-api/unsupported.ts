/**
 * AWS operations a user of this integration may run that the local API does not serve, so
 * that the answer names the operation (`aws iot list-thing-groups` → "does not implement iot
 * ListThingGroups") rather than a bare path. Method and path as the SDK's models give them;
 * `{x}` is one path segment, `{x+}` the rest of the path.
 */
const UNSUPPORTED: Readonly<Record<'iot' | 'iot-data', readonly string[]>> = {
  iot: [
    'CreateTopicRule POST /rules/{ruleName}',
    'ReplaceTopicRule PATCH /rules/{ruleName}',
    'DeleteTopicRule DELETE /rules/{ruleName}',
    'EnableTopicRule POST /rules/{ruleName}/enable',
    'DisableTopicRule POST /rules/{ruleName}/disable',
    'ListTopicRuleDestinations GET /destinations',
    'UpdateThingType PATCH /thing-types/{thingTypeName}',
    'DeleteThingType DELETE /thing-types/{thingTypeName}',
    'RegisterThing POST /things',
    'ListThingPrincipals GET /things/{thingName}/principals',
    'AttachThingPrincipal PUT /things/{thingName}/principals',
    'DetachThingPrincipal DELETE /things/{thingName}/principals',
    'ListThingGroupsForThing GET /things/{thingName}/thing-groups',
    'ListJobExecutionsForThing GET /things/{thingName}/jobs',
    'ListThingGroups GET /thing-groups',
    'CreateThingGroup POST /thing-groups/{thingGroupName}',
    'DescribeThingGroup GET /thing-groups/{thingGroupName}',
    'DeleteThingGroup DELETE /thing-groups/{thingGroupName}',
    'AddThingToThingGroup PUT /thing-groups/addThingToThingGroup',
    'ListThingsInThingGroup GET /thing-groups/{thingGroupName}/things',
    'ListBillingGroups GET /billing-groups',
    'ListPolicies GET /policies',
    'GetPolicy GET /policies/{policyName}',
    'CreatePolicy POST /policies/{policyName}',
    'DeletePolicy DELETE /policies/{policyName}',
    'AttachPolicy PUT /target-policies/{policyName}',
    'ListAttachedPolicies POST /attached-policies/{target}',
    'ListCertificates GET /certificates',
    'DescribeCertificate GET /certificates/{certificateId}',
    'CreateKeysAndCertificate POST /keys-and-certificate',
    'ListPrincipalThings GET /principals/things',
    'ListJobs GET /jobs',
    'DescribeJob GET /jobs/{jobId}',
    'CreateJob PUT /jobs/{jobId}',
    'SearchIndex POST /indices/search',
    'GetIndexingConfiguration GET /indexing/config',
    'ListRoleAliases GET /role-aliases',
    'ListTagsForResource GET /tags',
    'TagResource POST /tags',
  ],
  'iot-data': [
    'ListRetainedMessages GET /retainedMessage',
    'GetRetainedMessage GET /retainedMessage/{topic}',
    'GetConnection GET /connections/{clientId}',
    'DeleteConnection DELETE /connections/{clientId}',
    'ListSubscriptions GET /connections/{clientId}/subscriptions',
    'SendDirectMessage POST /connections/{clientId}/messages',
  ],
};

interface KnownOperation {
  readonly service: 'iot' | 'iot-data';
  readonly operation: string;
  readonly method: string;
  readonly pattern: RegExp;
}

const KNOWN: readonly KnownOperation[] = (['iot', 'iot-data'] as const).flatMap((service) =>
  UNSUPPORTED[service].map((line) => {
    const [operation = '', method = '', path = ''] = line.split(' ');
    const pattern = path
      .split('/')
      .map((part) => (part.endsWith('+}') ? '.+' : part.startsWith('{') ? '[^/]+' : part))
      .join('/');
    return { service, operation, method, pattern: new RegExp(`^${pattern}$`) };
  }),
);

/** The AWS operation a REST request that no route serves stands for, when it is a known one. */
export function unsupportedOperation(
  method: string,
  path: string,
): { service: 'iot' | 'iot-data'; operation: string } | undefined {
  const known = KNOWN.find((op) => op.method === method && op.pattern.test(path));
  return known && { service: known.service, operation: known.operation };
}
