import { isDeepStrictEqual } from 'node:util';
import { isJsonObject, parseJsonText } from '@tts-aws-iot/input';
import type { Broker } from './broker';
import { RuleSyntaxError } from './errors';
import { readTemplateRules, type RuleTarget } from './templates';

/** One action of a topic rule of infra/, with the function it leads to. */
export interface TopicRule {
  /** The TopicRule's logical ID in infra/ (`UplinkRule`). */
  readonly name: string;
  readonly sql: string;
  /** The function the action leads to: invoked asynchronously, or fed by the action's queue. */
  readonly functionName: string;
  /** The Lambda action, or the SQS action into a queue that an event source drains. */
  readonly target: RuleTarget;
}

/**
 * The integration's rules as infra/ deploys them: the statements (with `${StackName}` and
 * `${ThingTypeName}` resolved) and actions of every TopicRule of infra/traffic and
 * infra/registry, one `TopicRule` per action, so that local routing cannot drift from AWS.
 */
export function integrationRules(options: {
  readonly stackName: string;
  readonly thingTypeName: string;
  /** The templates' directory (`<workspace>/infra`). */
  readonly infraDir: string;
}): TopicRule[] {
  const parameters = {
    StackName: options.stackName,
    'AWS::StackName': options.stackName,
    ThingTypeName: options.thingTypeName,
  };
  return readTemplateRules(options.infraDir, parameters).flatMap((rule) =>
    rule.targets.map((target) => ({
      name: rule.name,
      sql: rule.sql,
      functionName: target.functionName,
      target,
    })),
  );
}

/** What evaluating a statement against one message gives. */
export type RuleOutcome =
  | { readonly matched: false }
  | { readonly matched: true; readonly output: Record<string, unknown> };

/** A parsed `SELECT … FROM '<filter>' [WHERE …]` statement. */
export interface CompiledStatement {
  readonly topicFilter: string;
  /**
   * Evaluates the statement for a message; `payload` is the parsed JSON (or `undefined`),
   * `clientId` the MQTT client that published it (`undefined` when it came over HTTP, for
   * which `clientid()` is `n/a`, as on AWS).
   */
  evaluate(topic: string, payload: unknown, clientId?: string): RuleOutcome;
}

/**
 * Compiles the subset of AWS IoT SQL (version 2016-03-23) that the integration's rules use:
 * `SELECT *` and `expr AS name`; `FROM '<topic filter>'`; `WHERE` with `AND`, `OR`, `NOT`,
 * parentheses, `=`, `<>`, `!=`, `<`, `<=`, `>`, `>=`, string/number/boolean/null literals,
 * payload paths (`a.b.c`) and the functions `topic()`, `topic(n)`, `clientid()`, `isUndefined`,
 * `isNull`, `startswith`. Anything else is a `RuleSyntaxError`, so a rule outside the subset fails loudly
 * at start rather than routing differently from AWS.
 *
 * Undefined (a missing field, or `topic(n)` beyond the topic's levels) follows AWS: a
 * comparison with Undefined is Undefined, and `WHERE` passes only on `true`. AWS documents
 * AND/OR/NOT as Undefined for non-Boolean operands without saying how `false AND Undefined`
 * ends; this engine uses the usual three-valued logic (`false AND x` is false, `true OR x` is
 * true). Rules that never compare an absent level (`topic() <> '…'`) avoid the question.
 */
export function compileStatement(sql: string): CompiledStatement {
  const parser = new Parser(sql);
  const statement = parser.statement();
  return {
    topicFilter: statement.topicFilter,
    evaluate(topic, payload, clientId) {
      const context: Context = { topic, payload, clientId };
      if (statement.where && evaluate(statement.where, context) !== true) return { matched: false };
      const output: Record<string, unknown> = {};
      for (const item of statement.select) {
        if (item.kind === 'all') {
          if (isJsonObject(payload)) Object.assign(output, payload);
        } else {
          const value = evaluate(item.expression, context);
          if (value !== undefined) output[item.alias] = value;
        }
      }
      return { matched: true, output };
    },
  };
}

/** MQTT topic filter matching (`+` one level, `#` the rest); wildcards never match a leading `$`. */
export function topicMatches(filter: string, topic: string): boolean {
  const filterLevels = filter.split('/');
  const topicLevels = topic.split('/');
  if (topic.startsWith('$') && (filterLevels[0] === '+' || filterLevels[0] === '#')) return false;
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    if (level === '#') return true;
    if (i >= topicLevels.length) return false;
    if (level !== '+' && level !== topicLevels[i]) return false;
  }
  return filterLevels.length === topicLevels.length;
}

/** Called when a rule matches: the rules engine does not wait for the action. */
export type RuleAction = (rule: TopicRule, event: Record<string, unknown>, topic: string) => void;

/**
 * Runs every rule on each message the broker passes (MQTT clients and in-process publishers
 * alike, as IoT Core's rules see HTTP publishes too) and runs its action on each match.
 */
export class RulesEngine {
  private readonly unsubscribes: (() => void | Promise<void>)[] = [];

  private constructor(
    private readonly onSkip: (rule: TopicRule, topic: string, reason: string) => void,
  ) {}

  static start(
    broker: Broker,
    rules: readonly TopicRule[],
    action: RuleAction,
    onSkip: (rule: TopicRule, topic: string, reason: string) => void = () => undefined,
  ): Promise<RulesEngine> {
    return Promise.resolve(RulesEngine.create(broker, rules, action, onSkip));
  }

  private static create(
    broker: Broker,
    rules: readonly TopicRule[],
    action: RuleAction,
    onSkip: (rule: TopicRule, topic: string, reason: string) => void,
  ): RulesEngine {
    const engine = new RulesEngine(onSkip);
    const statements = rules.map((rule) => ({ rule, statement: compileStatement(rule.sql) }));
    // Every published message, with the client that published it (for clientid()).
    engine.unsubscribes.push(
      broker.onMessage((message) => {
        for (const { rule, statement } of statements) {
          if (!topicMatches(statement.topicFilter, message.topic)) continue;
          const payload = parseJsonText(message.payload.toString('utf8'));
          if ('error' in payload) {
            engine.onSkip(rule, message.topic, 'the payload is not JSON');
            continue;
          }
          const outcome = statement.evaluate(message.topic, payload.json, message.clientId);
          if (outcome.matched) action(rule, outcome.output, message.topic);
        }
      }),
    );
    return engine;
  }

  async stop(): Promise<void> {
    await Promise.all(this.unsubscribes.splice(0).map((unsubscribe) => unsubscribe()));
  }
}

// ---------------------------------------------------------------------------------------------
// The SQL subset: tokens, syntax tree, evaluation.

type Expression =
  | { readonly kind: 'literal'; readonly value: unknown }
  | { readonly kind: 'path'; readonly path: readonly string[] }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Expression[] }
  | { readonly kind: 'not'; readonly operand: Expression }
  | {
      readonly kind: 'logical';
      readonly operator: 'AND' | 'OR';
      readonly left: Expression;
      readonly right: Expression;
    }
  | {
      readonly kind: 'compare';
      readonly operator: string;
      readonly left: Expression;
      readonly right: Expression;
    };

type SelectItem =
  | { readonly kind: 'all' }
  | { readonly kind: 'expression'; readonly expression: Expression; readonly alias: string };

interface Statement {
  readonly select: readonly SelectItem[];
  readonly topicFilter: string;
  readonly where: Expression | undefined;
}

interface Token {
  readonly type: 'word' | 'string' | 'number' | 'symbol' | 'end';
  readonly text: string;
  readonly position: number;
}

const KEYWORDS = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'AND',
  'OR',
  'NOT',
  'AS',
  'TRUE',
  'FALSE',
  'NULL',
]);
const COMPARISONS = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);
const FUNCTIONS: Readonly<
  Record<
    string,
    {
      readonly arity: readonly number[];
      readonly call: (args: unknown[], context: Context) => unknown;
    }
  >
> = {
  topic: { arity: [0, 1], call: ([level], context) => topicLevel(context.topic, level) },
  // AWS: the ID of the MQTT client that sent the message, `n/a` for one not sent over MQTT.
  clientid: { arity: [0], call: (_args, context) => context.clientId ?? 'n/a' },
  isundefined: { arity: [1], call: ([value]) => value === undefined },
  isnull: { arity: [1], call: ([value]) => value === null },
  startswith: {
    arity: [2],
    call: ([text, prefix]) =>
      typeof text === 'string' && typeof prefix === 'string' ? text.startsWith(prefix) : undefined,
  },
};

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const char = sql[i]!;
    if (/\s/.test(char)) {
      i++;
    } else if (char === "'") {
      // SQL strings double a quote to escape it.
      let text = '';
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) throw new RuleSyntaxError('Unterminated string', sql, i);
        if (sql[j] === "'" && sql[j + 1] === "'") {
          text += "'";
          j += 2;
        } else if (sql[j] === "'") {
          break;
        } else {
          text += sql[j];
          j++;
        }
      }
      tokens.push({ type: 'string', text, position: i });
      i = j + 1;
    } else if (/[0-9]/.test(char) || (char === '-' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const match = /^-?[0-9]+(\.[0-9]+)?/.exec(sql.slice(i))!;
      tokens.push({ type: 'number', text: match[0], position: i });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i))!;
      tokens.push({ type: 'word', text: match[0], position: i });
      i += match[0].length;
    } else {
      const two = sql.slice(i, i + 2);
      const symbol = ['<>', '!=', '<=', '>='].includes(two) ? two : char;
      if (!['<>', '!=', '<=', '>=', '=', '<', '>', '(', ')', ',', '*', '.'].includes(symbol)) {
        throw new RuleSyntaxError(`Unexpected character ${JSON.stringify(char)}`, sql, i);
      }
      tokens.push({ type: 'symbol', text: symbol, position: i });
      i += symbol.length;
    }
  }
  tokens.push({ type: 'end', text: '', position: sql.length });
  return tokens;
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(private readonly sql: string) {
    this.tokens = tokenize(sql);
  }

  statement(): Statement {
    this.keyword('SELECT');
    const select: SelectItem[] = [this.selectItem()];
    while (this.symbolIs(',')) {
      this.index++;
      select.push(this.selectItem());
    }
    this.keyword('FROM');
    const from = this.next();
    if (from.type !== 'string') this.fail('Expected the topic filter as a quoted string', from);
    let where: Expression | undefined;
    if (this.keywordIs('WHERE')) {
      this.index++;
      where = this.expression();
    }
    const end = this.next();
    if (end.type !== 'end') this.fail(`Unexpected ${JSON.stringify(end.text)}`, end);
    return { select, topicFilter: from.text, where };
  }

  private selectItem(): SelectItem {
    if (this.symbolIs('*')) {
      this.index++;
      return { kind: 'all' };
    }
    const start = this.peek();
    const expression = this.expression();
    if (this.keywordIs('AS')) {
      this.index++;
      const alias = this.next();
      if (alias.type !== 'word') this.fail('Expected a name after AS', alias);
      return { kind: 'expression', expression, alias: alias.text };
    }
    if (expression.kind === 'path')
      return { kind: 'expression', expression, alias: expression.path.at(-1)! };
    return this.fail('Name this SELECT expression with AS', start);
  }

  private expression(): Expression {
    let left = this.conjunction();
    while (this.keywordIs('OR')) {
      this.index++;
      left = { kind: 'logical', operator: 'OR', left, right: this.conjunction() };
    }
    return left;
  }

  private conjunction(): Expression {
    let left = this.negation();
    while (this.keywordIs('AND')) {
      this.index++;
      left = { kind: 'logical', operator: 'AND', left, right: this.negation() };
    }
    return left;
  }

  private negation(): Expression {
    if (this.keywordIs('NOT')) {
      this.index++;
      return { kind: 'not', operand: this.negation() };
    }
    return this.comparison();
  }

  private comparison(): Expression {
    const left = this.primary();
    const token = this.peek();
    if (token.type === 'symbol' && COMPARISONS.has(token.text)) {
      this.index++;
      return { kind: 'compare', operator: token.text, left, right: this.primary() };
    }
    return left;
  }

  private primary(): Expression {
    const token = this.next();
    if (token.type === 'string') return { kind: 'literal', value: token.text };
    if (token.type === 'number') return { kind: 'literal', value: Number(token.text) };
    if (token.type === 'symbol' && token.text === '(') {
      const inner = this.expression();
      this.expectSymbol(')');
      return inner;
    }
    if (token.type !== 'word')
      return this.fail(`Unexpected ${JSON.stringify(token.text) || 'end of statement'}`, token);
    const upper = token.text.toUpperCase();
    if (upper === 'TRUE' || upper === 'FALSE') return { kind: 'literal', value: upper === 'TRUE' };
    if (upper === 'NULL') return { kind: 'literal', value: null };
    if (KEYWORDS.has(upper)) return this.fail(`Unexpected keyword ${token.text}`, token);
    if (this.symbolIs('(')) return this.call(token);
    const path = [token.text];
    while (this.symbolIs('.')) {
      this.index++;
      const part = this.next();
      if (part.type !== 'word') this.fail('Expected a field name after "."', part);
      path.push(part.text);
    }
    return { kind: 'path', path };
  }

  private call(name: Token): Expression {
    const fn = FUNCTIONS[name.text.toLowerCase()];
    if (!fn)
      return this.fail(
        `Function ${name.text}() is not in the local rules engine's subset (${Object.keys(FUNCTIONS).join(', ')})`,
        name,
      );
    this.expectSymbol('(');
    const args: Expression[] = [];
    if (!this.symbolIs(')')) {
      args.push(this.expression());
      while (this.symbolIs(',')) {
        this.index++;
        args.push(this.expression());
      }
    }
    this.expectSymbol(')');
    if (!fn.arity.includes(args.length))
      this.fail(`${name.text}() takes ${fn.arity.join(' or ')} argument(s)`, name);
    return { kind: 'call', name: name.text.toLowerCase(), args };
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private next(): Token {
    const token = this.tokens[this.index]!;
    if (token.type !== 'end') this.index++;
    return token;
  }

  private keywordIs(keyword: string): boolean {
    const token = this.peek();
    return token.type === 'word' && token.text.toUpperCase() === keyword;
  }

  private symbolIs(symbol: string): boolean {
    const token = this.peek();
    return token.type === 'symbol' && token.text === symbol;
  }

  private keyword(keyword: string): void {
    const token = this.next();
    if (token.type !== 'word' || token.text.toUpperCase() !== keyword)
      this.fail(`Expected ${keyword}`, token);
  }

  private expectSymbol(symbol: string): void {
    const token = this.next();
    if (token.type !== 'symbol' || token.text !== symbol) this.fail(`Expected "${symbol}"`, token);
  }

  private fail(message: string, token: Token): never {
    throw new RuleSyntaxError(message, this.sql, token.position);
  }
}

interface Context {
  readonly topic: string;
  readonly payload: unknown;
  readonly clientId: string | undefined;
}

/** Evaluates an expression; `undefined` is IoT SQL's Undefined. */
function evaluate(expression: Expression, context: Context): unknown {
  switch (expression.kind) {
    case 'literal':
      return expression.value;
    case 'path': {
      let value: unknown = context.payload;
      for (const field of expression.path) value = isJsonObject(value) ? value[field] : undefined;
      return value;
    }
    case 'call':
      return FUNCTIONS[expression.name]!.call(
        expression.args.map((arg) => evaluate(arg, context)),
        context,
      );
    case 'not': {
      const operand = asBoolean(evaluate(expression.operand, context));
      return operand === undefined ? undefined : !operand;
    }
    case 'logical': {
      const left = asBoolean(evaluate(expression.left, context));
      // Three-valued logic: a decided left side settles the result without the right one.
      if (expression.operator === 'AND' && left === false) return false;
      if (expression.operator === 'OR' && left === true) return true;
      const right = asBoolean(evaluate(expression.right, context));
      if (expression.operator === 'AND')
        return right === false
          ? false
          : left === undefined || right === undefined
            ? undefined
            : true;
      return right === true ? true : left === undefined || right === undefined ? undefined : false;
    }
    case 'compare':
      return compare(
        expression.operator,
        evaluate(expression.left, context),
        evaluate(expression.right, context),
      );
  }
}

/** Booleans, and the strings "true"/"false" in any case, are Booleans; anything else is Undefined. */
function asBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return undefined;
}

function compare(operator: string, left: unknown, right: unknown): boolean | undefined {
  if (left === undefined || right === undefined) return undefined;
  if (operator === '=' || operator === '<>' || operator === '!=') {
    const equal = typeof left === typeof right && isDeepStrictEqual(left, right);
    return operator === '=' ? equal : !equal;
  }
  // Ordering converts both sides to numbers, as IoT SQL converts to Decimal.
  const a = typeof left === 'string' && left.trim() !== '' ? Number(left) : left;
  const b = typeof right === 'string' && right.trim() !== '' ? Number(right) : right;
  if (typeof a !== 'number' || typeof b !== 'number' || Number.isNaN(a) || Number.isNaN(b))
    return undefined;
  if (operator === '<') return a < b;
  if (operator === '<=') return a <= b;
  if (operator === '>') return a > b;
  return a >= b;
}

/** `topic()` is the whole topic; `topic(n)` its n-th level (1-based), Undefined beyond the end. */
function topicLevel(topic: string, level: unknown): unknown {
  if (level === undefined) return topic;
  if (typeof level !== 'number' || !Number.isInteger(level) || level < 1) return undefined;
  return topic.split('/')[level - 1];
}
