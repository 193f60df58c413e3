// `npm audit --omit=dev --audit-level=low` for CI (.ci/run), with one exception: when the
// audit endpoint itself cannot be reached or refuses (some registries and mirrors answer
// 405, offline runners cannot resolve it), it warns that the audit did not run and passes,
// rather than failing every build for a reason that is not a vulnerability. A report with
// any vulnerability of severity low or above fails; so does output that is neither a report
// nor an endpoint error. The decision is `decideAudit`, tested on recorded outputs in
// test/unit/audit.test.ts.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const COUNTED = ['low', 'moderate', 'high', 'critical'];

/**
 * What to do with the JSON `npm audit --json` printed and its exit code:
 * `{ outcome: 'clean' | 'vulnerable' | 'unavailable' | 'unknown', fail: boolean, message }`.
 */
export function decideAudit(stdout, exitCode) {
  let report;
  try {
    report = JSON.parse(stdout);
  } catch {
    return {
      outcome: 'unknown',
      fail: true,
      message: `npm audit printed no JSON report (exit code ${exitCode}): ${String(stdout).slice(0, 300)}`,
    };
  }
  const counts = report?.metadata?.vulnerabilities;
  if (counts && typeof counts === 'object') {
    const total = COUNTED.reduce((n, level) => n + (Number(counts[level]) || 0), 0);
    if (total === 0) {
      return {
        outcome: 'clean',
        fail: false,
        message: 'npm audit: no known vulnerability in the production dependencies.',
      };
    }
    const found = Object.values(report.vulnerabilities ?? {})
      .filter((v) => COUNTED.includes(v?.severity))
      .map(
        (v) => `  ${v.name} (${v.severity}${v.range ? `, ${v.range}` : ''})${v.fixAvailable ? ', fix available' : ''}`,
      );
    const summary = COUNTED.filter((l) => counts[l])
      .map((l) => `${counts[l]} ${l}`)
      .join(', ');
    return {
      outcome: 'vulnerable',
      fail: true,
      message: [`npm audit: ${total} vulnerabilities in the production dependencies (${summary}):`, ...found].join(
        '\n',
      ),
    };
  }
  const error = report?.error;
  if (error || report?.statusCode) {
    const code = error?.code ?? (report.statusCode ? `HTTP ${report.statusCode}` : 'unknown');
    const why = report.message ?? error?.summary ?? error?.detail ?? '';
    return {
      outcome: 'unavailable',
      fail: false,
      message: `WARNING: npm audit could not run: the registry's audit endpoint is unreachable or refused (${code}${why ? `: ${why}` : ''}). The dependencies were NOT checked for known vulnerabilities.`,
    };
  }
  return {
    outcome: 'unknown',
    fail: true,
    message: `npm audit printed JSON that is neither a report nor an error (exit code ${exitCode}).`,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['audit', '--omit=dev', '--audit-level=low', '--json'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const decision = decideAudit(run.stdout ?? '', run.status);
  (decision.fail || decision.outcome === 'unavailable' ? console.error : console.log)(decision.message);
  process.exit(decision.fail ? 1 : 0);
}
