/**
 * The email catalogue's samples in docs/email-samples.md are rendered by the real templates: this
 * test renders one of each kind from fixed data and keeps the document in step with the code.
 */
import { describe, expect, it } from 'vitest';
import { linksFrom, renderMail } from '../../lambdas/modules/mail/templates.ts';
import { sampleMessages } from '../helpers/mail-samples.ts';

describe('the email catalogue', () => {
  it('docs/email-samples.md shows what each kind of email says', async () => {
    const links = linksFrom('https://app.example.com/app');
    const doc = [
      '# Email samples',
      '',
      'Rendered by `lambdas/modules/mail/templates.ts` from fixed data; `test/unit/mail-samples.test.ts` regenerates this file',
      '(`npx vitest run test/unit/mail-samples.test.ts -u`) and fails when the templates and this file disagree.',
      'Each email also has an HTML part built from the same content, with every value escaped and one button for its action;',
      '`docs/emails/*.png` show them as Chromium renders them (`npm run emails:screenshots`). Times read in UTC and in the',
      "tenant's `timeZone` (here `Europe/Prague`).",
      '',
      ...sampleMessages().flatMap(({ title, message }) => {
        const mail = renderMail(message, links, { timeZone: 'Europe/Prague' });
        return [`## ${title} (\`${message.kind}\`)`, '', `**Subject:** ${mail.subject}`, '', '```text', mail.text, '```', ''];
      }),
    ].join('\n');
    await expect(doc).toMatchFileSnapshot('../../docs/email-samples.md');
  });
});
