import Header from '@cloudscape-design/components/header';

export default function Audit(_props: Record<string, string>) {
  return <Header variant="h1">Audit</Header>;
}
