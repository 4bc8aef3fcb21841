/**
 * The API under the operator's own name (settings `apiDomainName`, `apiCertificateArn`): a regional
 * API Gateway custom domain with its ACM certificate (TLS 1.2), mapped to the default stage. The
 * operator points a DNS record (CNAME, or a Route 53 alias) at the `ApiDomainTarget` output.
 */
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { ApiMapping, DomainName, EndpointType, SecurityPolicy, type HttpApi, type HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Construct } from 'constructs';

export interface ApiDomainProps {
  httpApi: HttpApi;
  stage: HttpStage;
  name: string;
  certificateArn: string;
}

export class ApiDomain extends Construct {
  readonly domainName: DomainName;
  /** `https://{name}/`: the API's base URL under its own name. */
  readonly url: string;
  /** Where the DNS record for `name` points (the regional endpoint). */
  readonly target: string;

  constructor(scope: Construct, id: string, props: ApiDomainProps) {
    super(scope, id);
    this.domainName = new DomainName(this, 'DomainName', {
      domainName: props.name,
      certificate: Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
      endpointType: EndpointType.REGIONAL,
      securityPolicy: SecurityPolicy.TLS_1_2,
    });
    new ApiMapping(this, 'Mapping', { api: props.httpApi, domainName: this.domainName, stage: props.stage });
    this.url = `https://${props.name}/`;
    this.target = this.domainName.regionalDomainName;
  }
}
