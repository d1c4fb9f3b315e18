import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Document,
  type Node,
  type Tags,
} from 'yaml';

/**
 * Just enough CloudFormation to check the templates: a YAML loader that understands the
 * short-form intrinsic functions, and an evaluator that resolves them for given parameter
 * values, the way CloudFormation would at deploy time.
 */

/** A template as CloudFormation's JSON form: short-form tags become `{"Fn::…": …}`. */
export interface Template {
  readonly path: string;
  readonly dir: string;
  readonly document: Document;
  readonly json: TemplateJson;
}

export interface TemplateJson {
  readonly Transform?: string;
  readonly Parameters?: Record<string, ParameterJson>;
  readonly Conditions?: Record<string, unknown>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Rules?: Record<string, unknown>;
  readonly Globals?: { readonly Function?: Record<string, unknown> };
  readonly Resources: Record<string, ResourceJson>;
  readonly Outputs?: Record<string, { readonly Value: unknown }>;
}

export interface ParameterJson {
  readonly Type: string;
  readonly Default?: string | number;
  readonly AllowedValues?: readonly (string | number)[];
  readonly AllowedPattern?: string;
  readonly Description?: string;
  readonly NoEcho?: boolean;
}

export interface ResourceJson {
  readonly Type: string;
  readonly Condition?: string;
  readonly Properties?: Record<string, unknown>;
}

const INTRINSICS = [
  'And',
  'Base64',
  'Cidr',
  'Equals',
  'FindInMap',
  'GetAZs',
  'If',
  'ImportValue',
  'Join',
  'Not',
  'Or',
  'Select',
  'Split',
  'Sub',
];

// The yaml package only needs to know the tags exist; `toCloudFormation` gives them meaning.
const TAGS: Tags = ['Ref', 'Condition', 'GetAtt', ...INTRINSICS].flatMap((name) => [
  { tag: `!${name}`, resolve: (value: string) => value },
  { tag: `!${name}`, collection: 'seq' as const, resolve: (value: unknown) => value },
]) as Tags;

/** Reads a template (path relative to infra/ or absolute). */
export function loadTemplate(path: string): Template {
  const absolute = resolve(__dirname, '..', path);
  const document = parseDocument(readFileSync(absolute, 'utf8'), {
    customTags: TAGS,
    prettyErrors: true,
  });
  if (document.errors.length > 0)
    throw new Error(`${path}: ${document.errors.map(String).join('; ')}`);
  if (document.warnings.length > 0)
    throw new Error(`${path}: ${document.warnings.map(String).join('; ')}`);
  return {
    path: absolute,
    dir: dirname(absolute),
    document,
    json: toCloudFormation(document.contents) as TemplateJson,
  };
}

function toCloudFormation(node: unknown): unknown {
  if (isScalar(node)) return tagged(node.tag, node.value);
  if (isSeq(node)) return tagged(node.tag, node.items.map(toCloudFormation));
  if (isMap(node)) {
    const object: Record<string, unknown> = {};
    for (const pair of node.items)
      object[String(isScalar(pair.key) ? pair.key.value : pair.key)] = toCloudFormation(pair.value);
    return tagged(node.tag, object);
  }
  return node ?? null;
}

function tagged(tag: string | undefined, value: unknown): unknown {
  if (!tag?.startsWith('!')) return value;
  const name = tag.slice(1);
  if (name === 'Ref' || name === 'Condition') return { [name]: value };
  if (name === 'GetAtt' && typeof value === 'string') {
    const dot = value.indexOf('.');
    return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [`Fn::${name}`]: value };
}

/** One deployment's inputs: parameter values (defaults fill the rest) and pseudo parameters. */
export interface Scenario {
  readonly parameters: Readonly<Record<string, string>>;
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  /** Values of resources' `Ref`s and attributes (`KekSecret`, `ThingType.EndpointAddress`) to use. */
  readonly deployTime?: Readonly<Record<string, string>>;
}

/** Stands for a value only known at deploy time: a resource's `Ref` or attribute. */
export const deployTime = (text: string): string => `<${text}>`;

/** Resolves intrinsic functions; `AWS::NoValue` removes the property or list item. */
export class Evaluator {
  readonly parameters: Readonly<Record<string, string>>;
  readonly conditions: Readonly<Record<string, boolean>>;
  readonly #pseudo: Readonly<Record<string, string>>;
  readonly #deployTime: Readonly<Record<string, string>>;

  constructor(
    private readonly template: TemplateJson,
    scenario: Scenario,
  ) {
    const parameters: Record<string, string> = {};
    for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
      const value = scenario.parameters[name] ?? parameter.Default;
      if (value === undefined)
        throw new Error(`the scenario gives no value for parameter ${name}, which has no default`);
      parameters[name] = String(value);
    }
    this.parameters = parameters;
    this.#deployTime = scenario.deployTime ?? {};
    this.#pseudo = {
      'AWS::AccountId': scenario.accountId,
      'AWS::Partition': 'aws',
      'AWS::Region': scenario.region,
      'AWS::StackName': scenario.stackName,
      'AWS::StackId': `arn:aws:cloudformation:${scenario.region}:${scenario.accountId}:stack/${scenario.stackName}/1c2fa620-982a-11e3-aff7-50e2416294e0`,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    const conditions: Record<string, boolean> = {};
    this.conditions = conditions;
    for (const [name, condition] of Object.entries(template.Conditions ?? {}))
      conditions[name] = this.#truth(condition);
  }

  /** `value` with every intrinsic function resolved. */
  evaluate(value: unknown): unknown {
    const result = this.#evaluate(value);
    return result === NO_VALUE ? undefined : result;
  }

  /** `value` resolved to a string (fails when it is not one). */
  string(value: unknown): string {
    const result = this.evaluate(value);
    if (typeof result !== 'string')
      throw new Error(`expected a string, got ${JSON.stringify(result)}`);
    return result;
  }

  #evaluate(value: unknown): unknown {
    if (Array.isArray(value))
      return value.map((item) => this.#evaluate(item)).filter((item) => item !== NO_VALUE);
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value);
    const [key, argument] = entries[0] ?? [];
    if (
      entries.length === 1 &&
      key !== undefined &&
      (key === 'Ref' || key === 'Condition' || key.startsWith('Fn::'))
    ) {
      return this.#intrinsic(key, argument);
    }
    const object: Record<string, unknown> = {};
    for (const [name, item] of entries) {
      const evaluated = this.#evaluate(item);
      if (evaluated !== NO_VALUE) object[name] = evaluated;
    }
    return object;
  }

  #intrinsic(name: string, argument: unknown): unknown {
    const list = (): unknown[] => {
      if (!Array.isArray(argument))
        throw new Error(`${name} takes a list, got ${JSON.stringify(argument)}`);
      return argument;
    };
    switch (name) {
      case 'Ref':
        return this.#ref(String(argument));
      case 'Fn::GetAtt': {
        const [resource, attribute] = list().map(String);
        if (!this.template.Resources[resource!])
          throw new Error(`GetAtt of unknown resource ${resource}`);
        return (
          this.#deployTime[`${resource}.${attribute}`] ?? deployTime(`${resource}.${attribute}`)
        );
      }
      case 'Fn::Sub':
        return this.#sub(argument);
      case 'Fn::Join': {
        const [delimiter, items] = list();
        return (this.#evaluate(items) as unknown[]).map(String).join(String(delimiter));
      }
      case 'Fn::Split': {
        const [delimiter, text] = list();
        return String(this.#evaluate(text)).split(String(delimiter));
      }
      case 'Fn::Select': {
        const [index, items] = list();
        return (this.#evaluate(items) as unknown[])[Number(this.#evaluate(index))];
      }
      case 'Fn::FindInMap': {
        const [map, first, second] = list().map((item) => String(this.#evaluate(item)));
        const found = this.template.Mappings?.[map!]?.[first!]?.[second!];
        if (found === undefined) throw new Error(`FindInMap: no ${map}.${first}.${second}`);
        return found;
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = list();
        const truth = this.conditions[String(condition)];
        if (truth === undefined) throw new Error(`If: unknown condition ${String(condition)}`);
        return this.#evaluate(truth ? whenTrue : whenFalse);
      }
      case 'Condition':
      case 'Fn::Equals':
      case 'Fn::Not':
      case 'Fn::And':
      case 'Fn::Or':
        return this.#truth({ [name]: argument });
      default:
        throw new Error(`the test evaluator does not know ${name}`);
    }
  }

  #truth(condition: unknown): boolean {
    const [name, argument] = Object.entries(condition as object)[0] ?? [];
    const items = Array.isArray(argument) ? argument : [];
    switch (name) {
      case 'Fn::Equals':
        return String(this.#evaluate(items[0])) === String(this.#evaluate(items[1]));
      case 'Fn::Not':
        return !this.#truth(items[0]);
      case 'Fn::And':
        return items.every((item) => this.#truth(item));
      case 'Fn::Or':
        return items.some((item) => this.#truth(item));
      case 'Condition': {
        const truth = this.conditions[String(argument)];
        if (truth === undefined) throw new Error(`unknown condition ${String(argument)}`);
        return truth;
      }
      default:
        throw new Error(`not a condition: ${JSON.stringify(condition)}`);
    }
  }

  #ref(name: string): unknown {
    if (name === 'AWS::NoValue') return NO_VALUE;
    const value = this.parameters[name] ?? this.#pseudo[name];
    if (value !== undefined) return value;
    if (this.template.Resources[name]) return this.#deployTime[name] ?? deployTime(name);
    throw new Error(`Ref to unknown name ${name}`);
  }

  #sub(argument: unknown): string {
    const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
    const locals = this.#evaluate(variables) as Record<string, unknown>;
    return String(text).replace(/\$\{(!?)([^}]+)\}/g, (_, literal: string, name: string) => {
      if (literal) return `\${${name}}`;
      if (name in locals) return String(locals[name]);
      const dot = name.indexOf('.');
      if (dot > 0)
        return String(this.#intrinsic('Fn::GetAtt', [name.slice(0, dot), name.slice(dot + 1)]));
      return String(this.#ref(name));
    });
  }
}

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * A `AWS::Serverless::Function`'s properties as SAM deploys them: `Globals.Function`
 * merged in (maps merge, the function's scalars win, lists append).
 */
export function functionProperties(
  template: TemplateJson,
  logicalId: string,
): Record<string, unknown> {
  return mergeGlobals(
    template.Globals?.Function ?? {},
    template.Resources[logicalId]?.Properties ?? {},
  ) as Record<string, unknown>;
}

function mergeGlobals(global: unknown, local: unknown): unknown {
  if (local === undefined) return global;
  if (Array.isArray(global) && Array.isArray(local)) return [...global, ...local];
  if (
    isPlainObject(global) &&
    isPlainObject(local) &&
    !isIntrinsic(global) &&
    !isIntrinsic(local)
  ) {
    const merged: Record<string, unknown> = { ...global };
    for (const [key, value] of Object.entries(local))
      merged[key] = mergeGlobals(global[key], value);
    return merged;
  }
  return local;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIntrinsic(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'));
}

/** The logical IDs of a template's resources of `type`. */
export function resourcesOfType(template: TemplateJson, type: string): string[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([logicalId]) => logicalId);
}

/** A policy statement whose `Resource` is `"*"` (or holds it), with the comments around it. */
export interface WildcardResource {
  /** Where it is: `Resources.<id>.….Statement[n]`. */
  readonly location: string;
  /** The comments on the statement or on its `Resource` line. */
  readonly comments: string;
}

/**
 * Every policy statement in the template's source whose resource is `"*"`, with the
 * comment that justifies it (a comment line above the statement, or on its Resource line).
 */
export function wildcardResources(template: Template): WildcardResource[] {
  const found: WildcardResource[] = [];
  visit(template.document, {
    Pair(_, pair, path) {
      if (!isScalar(pair.key) || pair.key.value !== 'Resource') return;
      const values = isSeq(pair.value) ? pair.value.items : [pair.value];
      if (!values.some((value) => isScalar(value) && value.value === '*')) return;
      const statement = path[path.length - 1] as Node;
      const list = path[path.length - 2];
      const comments = [
        statement.commentBefore,
        isSeq(list) && list.items[0] === statement ? list.commentBefore : undefined,
        pair.key.commentBefore,
        ...values.map((value) => (isScalar(value) ? value.comment : undefined)),
      ];
      found.push({
        location: path
          .filter(isPair)
          .map((ancestor) => String(isScalar(ancestor.key) ? ancestor.key.value : '?'))
          .join('.'),
        comments: comments.filter((comment): comment is string => Boolean(comment)).join(' '),
      });
    },
  });
  return found;
}

/** Whether CloudFormation would accept `value` for the parameter (pattern, values, length). */
export function accepts(parameter: ParameterJson, value: string): boolean {
  if (parameter.AllowedValues && !parameter.AllowedValues.map(String).includes(value)) return false;
  if (parameter.AllowedPattern && !new RegExp(parameter.AllowedPattern).test(value)) return false;
  const { MaxLength } = parameter as { MaxLength?: number };
  return MaxLength === undefined || value.length <= MaxLength;
}
