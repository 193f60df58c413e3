import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decideAudit } from '../../scripts/audit.mjs';

type Decision = { outcome: string; fail: boolean; message: string };
const decide = decideAudit as (stdout: string, code: number | null) => Decision;
const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, '../fixtures/audit', name), 'utf8');

describe('decideAudit (scripts/audit.mjs, run by .ci/run)', () => {
  it('fails on a report with vulnerabilities, naming them', () => {
    const d = decide(fixture('vulnerable.json'), 1);
    expect(d).toMatchObject({ outcome: 'vulnerable', fail: true });
    expect(d.message).toContain('2 vulnerabilities');
    expect(d.message).toContain('1 low, 1 high');
    expect(d.message).toMatch(/example-parser \(high, <2\.4\.1\), fix available/);
    expect(d.message).toContain('example-client (low');
  });

  it('passes a clean report, and one with only info-level notes', () => {
    expect(decide(fixture('clean.json'), 0)).toMatchObject({ outcome: 'clean', fail: false });
    const info = JSON.parse(fixture('clean.json'));
    info.metadata.vulnerabilities.info = 2;
    info.metadata.vulnerabilities.total = 2;
    expect(decide(JSON.stringify(info), 0)).toMatchObject({ outcome: 'clean', fail: false });
  });

  it('warns and passes when the endpoint refuses (recorded here: 405) or cannot be reached', () => {
    const refused = decide(fixture('endpoint-405.json'), 1);
    expect(refused).toMatchObject({ outcome: 'unavailable', fail: false });
    expect(refused.message).toMatch(/^WARNING: npm audit could not run/);
    expect(refused.message).toContain('HTTP 405');
    expect(refused.message).toContain('NOT checked');
    expect(decide(fixture('enoaudit.json'), 1)).toMatchObject({ outcome: 'unavailable', fail: false });
    expect(decide(fixture('enotfound.json'), 1).message).toContain('ENOTFOUND');
  });

  it('fails on output it cannot read rather than passing silently', () => {
    expect(decide('', 1)).toMatchObject({ outcome: 'unknown', fail: true });
    expect(decide('npm ERR! something else', 1)).toMatchObject({ outcome: 'unknown', fail: true });
    expect(decide('{"auditReportVersion":2}', 1)).toMatchObject({ outcome: 'unknown', fail: true });
  });
});
