/**
 * Defence in depth behind the identity step and the single-line schemas (issue 22): whatever an
 * actor's email or name carries (a record written before the guards, an issuer minting CR/LF
 * claims), the rendered email holds no control character from it and no forged line.
 */
import { describe, expect, it } from 'vitest';
import { createGrant } from '../../../lambdas/modules/grants/service.ts';
import { linksFrom, renderMail } from '../../../lambdas/modules/mail/templates.ts';
import type { MailKind } from '../../../lambdas/kernel/ports.ts';
import { createRequest } from '../../../lambdas/modules/requests/service.ts';
import { signIn } from '../../../lambdas/modules/sessions/service.ts';
import { person, setupTenant, testDeps } from '../../helpers/domain.ts';

const links = linksFrom('https://support.example.com/app/');
// eslint-disable-next-line no-control-regex -- looking for control characters is the point
const CONTROL_BUT_LF = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/;
const FORGED = 'Approved by: boss@acme.test';

describe('the mail renderer never emits a control character from an actor field', () => {
  it('an email and a name with CR, LF, TAB, NEL and U+2028 stay on their line in every email they reach', async () => {
    // Prepare: the principal as a service could receive it, past any HTTP guard.
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const eve = person('agent-eve', ['support-agent']);
    eve.email = `agent-eve@vendor.test\r\n${FORGED}`;
    eve.name = `Eve\n${FORGED}\t\u0085\u2028x`;
    await createRequest(deps, eve, t.tenantId, { ticketId: 'T-1', reason: 'bug', scope: { level: 'read-only' }, durationHours: 1 });
    await createGrant(deps, t.admin, t.tenantId, { reason: 'bug', scope: { level: 'read-only' }, durationHours: 2 });
    await signIn(deps, eve, t.tenantId, { reason: 'reproduce', sourceIp: '203.0.113.9', userAgent: 'curl\r\nX: y' });
    const kinds: MailKind[] = ['request.created', 'session.started'];
    for (const kind of kinds) {
      const msg = (await deps.store.outboxOf(t.tenantId)).filter((m) => m.kind === kind).at(-1)!;
      // Act
      const mail = renderMail(msg, links);
      // Assess
      for (const part of [mail.subject, mail.text, mail.html]) expect(part, kind).not.toMatch(CONTROL_BUT_LF);
      expect(mail.subject, kind).not.toContain('\n');
      // No line of the text starts with the forged fact: it stays inside the actor's own line.
      expect(
        mail.text.split('\n').filter((l) => l.startsWith(FORGED)),
        kind,
      ).toEqual([]);
      expect(mail.text, kind).toContain(`agent-eve@vendor.test  ${FORGED}`);
    }
  });
});
