/** A check that failed, with the one thing to do about it. */
export class CheckFailure extends Error {
  override name = 'CheckFailure';
  constructor(
    message: string,
    readonly hint?: string,
    /** What the check had found before it failed (DNS and TCP fine, then TLS failed…). */
    readonly found: string[] = [],
  ) {
    super(message);
  }
}

export interface CheckResult {
  name: string;
  ok: boolean;
  ms: number;
  /** Lines shown under the check: what was found. */
  detail: string[];
  hint?: string;
  /** Machine-readable facts for --json. */
  data?: Record<string, unknown>;
}

export interface Report {
  ok: boolean;
  checks: CheckResult[];
}

export interface Step {
  name: string;
  run(): Promise<{ detail?: string[]; data?: Record<string, unknown> } | void>;
}

/** Runs steps in order and stops at the first failure; `always` runs whatever happened. */
export async function runSteps(steps: Step[], always?: Step): Promise<Report> {
  const checks: CheckResult[] = [];
  const runOne = async (step: Step) => {
    const started = performance.now();
    try {
      const out = (await step.run()) ?? {};
      checks.push({ name: step.name, ok: true, ms: Math.round(performance.now() - started), detail: out.detail ?? [], data: out.data });
      return true;
    } catch (err) {
      const f = err instanceof CheckFailure ? err : new CheckFailure((err as Error).message);
      checks.push({ name: step.name, ok: false, ms: Math.round(performance.now() - started), detail: [f.message, ...f.found], hint: f.hint });
      return false;
    }
  };
  for (const step of steps) if (!(await runOne(step))) break;
  if (always) await runOne(always);
  return { ok: checks.every((c) => c.ok), checks };
}

/** The human form: one line per check with ✓/✗ and its time, details and hint indented. */
export function formatReport(report: Report): string {
  const lines: string[] = [];
  for (const c of report.checks) {
    lines.push(`${c.ok ? '✓' : '✗'} ${c.name} (${c.ms} ms)${c.ok ? '' : `: ${c.detail[0] ?? 'failed'}`}`);
    for (const d of c.ok ? c.detail : c.detail.slice(1)) lines.push(`    ${d}`);
    if (c.hint) lines.push(`    hint: ${c.hint}`);
  }
  const failed = report.checks.find((c) => !c.ok);
  lines.push(failed ? `\nlogin-check failed at "${failed.name}".` : `\nAll ${report.checks.length} checks passed.`);
  return lines.join('\n') + '\n';
}
