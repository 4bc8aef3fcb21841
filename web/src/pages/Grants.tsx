import Header from '@cloudscape-design/components/header';

export default function Grants(_props: Record<string, string>) {
  return <Header variant="h1">Grants</Header>;
}
