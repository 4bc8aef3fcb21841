/**
 * The cost table of docs/deploy.md ("What it costs at 1,000 tenants") counts what the template
 * holds: the KMS keys, the Secrets Manager secrets, the alarms and the functions are counted in
 * the synthesized stack (without bundling), so the page cannot drift from what is deployed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { SupportAccessStack } from '../../lib/support-access-stack.ts';
import { testContext } from '../helpers/cdk-context.ts';

const consoleAssetDir = mkdtempSync(join(tmpdir(), 'support-access-console-'));
writeFileSync(join(consoleAssetDir, 'index.html'), '<!doctype html><title>console</title>');
afterAll(() => rmSync(consoleAssetDir, { recursive: true, force: true }));

const page = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
const costSection = page.slice(page.indexOf('## 7. What it costs'), page.indexOf('## 8.'));

/** The number the cost table gives before `what`, and the cost cell of that row. */
function row(what: string): { count: number; unitPrice: number; cost: number } {
  const line = costSection.split('\n').find((l) => l.includes(what));
  if (!line) throw new Error(`docs/deploy.md's cost table has no row with "${what}"`);
  const [, count, unitPrice] = new RegExp(`(\\d+) ${what} × \\$([\\d.]+)`).exec(line) ?? [];
  const cost = /\| \$([\d.]+)\s*\|\s*$/.exec(line)?.[1];
  return { count: Number(count), unitPrice: Number(unitPrice), cost: Number(cost) };
}

describe("docs/deploy.md's cost table, counted from the template", () => {
  it('counts the keys, secrets, alarms and functions the stack deploys, and prices each row by its count', () => {
    // Prepare
    const app = new App({ context: { ...testContext(), consoleAssetDir, 'aws:cdk:bundling-stacks': [] } });
    const template = Template.fromStack(new SupportAccessStack(app, 'SupportAccess'));
    const count = (type: string) => Object.keys(template.findResources(type)).length;
    const ownFunctions = Object.keys(template.findResources('AWS::Lambda::Function')).filter(
      (id) => !id.startsWith('CustomCDKBucketDeployment'),
    ).length;

    // Act
    const keys = row('KMS keys');
    const secrets = row('Secrets Manager secrets');
    const alarms = row('standard alarms');

    // Assess
    expect(keys.count).toBe(count('AWS::KMS::Key'));
    expect(secrets.count).toBe(count('AWS::SecretsManager::Secret'));
    expect(alarms.count).toBe(count('AWS::CloudWatch::Alarm'));
    expect(costSection).toContain(`**${ownFunctions} functions**`);
    for (const r of [keys, secrets, alarms]) expect(r.cost).toBeCloseTo(r.count * r.unitPrice, 2);
    // The cost per unit of activity names the KMS sign calls, the events and webhook deliveries.
    for (const unit of ['KMS sign', 'event (a committed change)', 'webhook delivery']) expect(costSection).toContain(unit);
  });
});
