import { type CelResult, celEnv, plan } from '@bufbuild/cel';
import { type CelIssue, checkExpression } from './check.ts';
import { compileFast, type FastProgram, RuleInputs } from './fast.ts';
import { ruleMessage } from './messages.ts';
import { RULE_LIMITS, type RuleDefinition, type RuleState } from './model.ts';
import { RULE_ENV, type RuleBindings } from './schema.ts';

/**
 * A compiled expression: parsing, checking and planning happened once; this only
 * evaluates. Given an evaluation's inputs it runs the fast program when the expression
 * has one and the interpreter otherwise; given CEL bindings it runs the interpreter.
 */
export type Program = (inputs: RuleBindings | RuleInputs) => CelResult;

/** How a compiled expression is evaluated on an evaluation's inputs. */
export type ProgramMode = 'fast' | 'interpreter';

export type CompileResult =
  | {
      ok: true;
      program: Program;
      mode: ProgramMode;
      /** The interpreter's plan, the reference the fast program is tested against. */
      interpret: (bindings: RuleBindings) => CelResult;
      /** The fast program, when the expression has one. */
      fast: FastProgram | undefined;
    }
  | { ok: false; errors: CelIssue[] };

/** One rule version ready to evaluate. */
export interface CompiledRule extends RuleDefinition {
  /** Shadow rules are evaluated and reported, never acted on. */
  shadow: boolean;
  program: Program;
  /** Whether the rule runs compiled (`fast`) or interpreted: reported, and measured by the bench. */
  mode?: ProgramMode;
}

/** A version of the live rule set (active and shadow versions), compiled once. */
export interface CompiledRuleSet {
  /** The rule-set revision it was compiled from; every state change makes a new one. */
  revision: string;
  rules: readonly CompiledRule[];
  /** Stored live versions that no longer compile (the environment changed): left out and reported. */
  invalid: ReadonlyArray<{ ruleId: string; version: number; errors: CelIssue[] }>;
  compiledAt: Date;
}

/** A stored version as the compiler needs it. */
export interface LiveVersion extends RuleDefinition {
  state: RuleState;
}

const env = celEnv();

/**
 * Parses, type-checks and plans an expression, and compiles it to a fast program when it
 * uses only what the fast compiler covers; a problem comes back with its line and column.
 */
export function compileExpression(expression: string): CompileResult {
  if (expression.length > RULE_LIMITS.expressionMax) {
    return {
      ok: false,
      errors: [
        {
          line: 1,
          column: 1,
          message: `the expression is longer than ${RULE_LIMITS.expressionMax} characters`,
        },
      ],
    };
  }
  const checked = checkExpression(expression, RULE_ENV);
  if (!checked.ok) return checked;
  const planned = plan(env, checked.parsed);
  const interpret = (bindings: RuleBindings): CelResult => planned(bindings);
  const fast = compileFast(checked.parsed);
  const program: Program = fast
    ? (inputs) => (inputs instanceof RuleInputs ? fast(inputs.fast) : planned(inputs))
    : (inputs) => planned(inputs instanceof RuleInputs ? inputs.cel() : inputs);
  return { ok: true, program, mode: fast ? 'fast' : 'interpreter', interpret, fast };
}

/** A problem with a rule's fields other than its expression. */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * Checks what the expression cannot: message keys exist in the catalogue and are of
 * the right kind, and a warning goes only with a CHALLENGE (the only outcome that shows one).
 */
export function checkRuleFields(
  def: Pick<RuleDefinition, 'action' | 'messageKey' | 'warningKey'>,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const message = ruleMessage(def.messageKey);
  if (message?.kind !== 'customer') {
    problems.push({
      field: 'messageKey',
      message: `'${def.messageKey}' is not a customer message of the catalogue`,
    });
  }
  if (def.warningKey !== null) {
    if (def.action !== 'CHALLENGE') {
      problems.push({ field: 'warningKey', message: 'only a CHALLENGE shows a warning' });
    } else if (ruleMessage(def.warningKey)?.kind !== 'warning') {
      problems.push({
        field: 'warningKey',
        message: `'${def.warningKey}' is not a warning of the catalogue`,
      });
    }
  }
  return problems;
}

/** Programs kept by expression text; beyond this many the cache starts over. */
const PROGRAM_CACHE_MAX = 5000;

/**
 * Compiles rule sets, each expression once: a version's expression never changes, so a
 * new rule-set revision recompiles only the versions it has not seen.
 */
export class RuleCompiler {
  private readonly programs = new Map<string, CompileResult>();

  compile(expression: string): CompileResult {
    const cached = this.programs.get(expression);
    if (cached) return cached;
    const result = compileExpression(expression);
    if (this.programs.size >= PROGRAM_CACHE_MAX) this.programs.clear();
    this.programs.set(expression, result);
    return result;
  }

  /** The active and shadow versions as a rule set; drafts and retired versions are not part of it. */
  compileSet(revision: string, versions: readonly LiveVersion[]): CompiledRuleSet {
    const rules: CompiledRule[] = [];
    const invalid: Array<{ ruleId: string; version: number; errors: CelIssue[] }> = [];
    for (const v of versions) {
      if (v.state !== 'active' && v.state !== 'shadow') continue;
      const compiled = this.compile(v.expression);
      if (!compiled.ok) {
        invalid.push({ ruleId: v.ruleId, version: v.version, errors: compiled.errors });
        continue;
      }
      rules.push({
        ruleId: v.ruleId,
        version: v.version,
        expression: v.expression,
        action: v.action,
        score: v.score,
        reasonCode: v.reasonCode,
        messageKey: v.messageKey,
        warningKey: v.warningKey,
        shadow: v.state === 'shadow',
        program: compiled.program,
        mode: compiled.mode,
      });
    }
    return { revision, rules, invalid, compiledAt: new Date() };
  }
}
