/**
 * Email: the one SES identity the stack sends as. The jobs that deliver the outbox are granted
 * `ses:SendEmail` on this identity only (`bindMail`).
 */
import { EmailIdentity, Identity } from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

export interface NotificationsProps {
  /** The sender address (`MAIL_FROM`); SES mails it a verification link on deploy. */
  mailFrom: string;
}

export class Notifications extends Construct {
  readonly mailFrom: string;
  readonly identity: EmailIdentity;
  /** The identity's ARN, the only resource the mailers may send as. */
  readonly identityArn: string;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    this.mailFrom = props.mailFrom;
    this.identity = new EmailIdentity(this, 'Sender', { identity: Identity.email(props.mailFrom) });
    this.identityArn = this.identity.emailIdentityArn;
  }
}
